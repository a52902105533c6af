# Sourced by the benchmark scripts: builds one module's test classpath on a fresh clone and exports it.
#
#   benchmark_classpath ROOT MODULE WORK_DIR
#
# One reactor (-am), so the sibling modules resolve from it: run alone, build-classpath would look
# for millrace-protocol in ~/.m2 and fail on a fresh clone. MODULE is the last module built, so its
# classpath is the one left in the file. Benchmarks are test code (kept out of the production jar),
# hence test-compile and the test scope. The classes are copied, so that a rebuild of the tree during
# the run cannot pull them from under it. The classpath goes in the CLASSPATH variable, not on the
# command line: onnxruntime's Java binding crashes when the JVM's command line is longer than ~4 KB.
benchmark_classpath() {
  local root="$1" module="$2" work="$3"
  echo "[$(date -u +%H:%M:%S)] building $module (one reactor: no install needed)" >&2
  (cd "$root" && mvn -B -q test-compile dependency:build-classpath -pl "$module" -am -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/classpath.txt")
  cp -r "$root/$module/target/classes" "$work/classes"
  cp -r "$root/$module/target/test-classes" "$work/test-classes"
  export CLASSPATH="$work/test-classes:$work/classes:$(cat "$work/classpath.txt")"
}
