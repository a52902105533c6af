package io.millrace.infra;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Which Millrace produced a result: the project version the build wrote, and the git commit of the
 * checkout the running classes came from ({@code +dirty} when tracked files were changed), or
 * {@code unknown} outside a git checkout (a copied jar).
 */
record SourceVersion(String version, String gitCommit) {

    static SourceVersion current() {
        return new SourceVersion(readVersion(), readGitCommit());
    }

    private static String readVersion() {
        Properties p = new Properties();
        try (InputStream in = Millrace.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    private static String readGitCommit() {
        try {
            Path here = Path.of(Millrace.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            while (here != null && !Files.exists(here.resolve(".git"))) {
                here = here.getParent();
            }
            if (here == null) {
                return "unknown";
            }
            String head = git(here, "rev-parse", "HEAD");
            if (head.isEmpty()) {
                return "unknown";
            }
            return git(here, "status", "--porcelain", "--untracked-files=no").isEmpty() ? head : head + "+dirty";
        } catch (Exception e) {
            return "unknown"; // no git, no checkout: the version still names the release
        }
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 3];
        command[0] = "git";
        command[1] = "-C";
        command[2] = dir.toString();
        System.arraycopy(args, 0, command, 3, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroy();
            return "";
        }
        return new String(out, StandardCharsets.UTF_8).strip();
    }
}
