# Runs Java for a Mixtape launcher (./mixtape, the distribution's bin/mixtape): sourced after
# jvm-flags.sh, it sets mixtape_java_flags (the JVM flags, the default heap, then $MIXTAPE_JAVA_OPTS),
# and `mixtape_run_java ARGS...` starts "$JAVA_HOME/bin/java" with them and ARGS, and exits with its
# status.
#
# - Heap: up to 75% of the machine's memory (Java's default is 25%); MIXTAPE_JAVA_OPTS=-Xmx8g or any
#   other -Xmx replaces it.
# - The JVM prints "WARNING: Using incubator modules: jdk.incubator.vector" as its first stderr line
#   whenever the Vector API is enabled, and JDK 25 has no switch to silence it: that one line is
#   dropped, and everything after it passes through as it comes (progress bars included). The filter
#   ignores Ctrl-C, so the lines the JVM prints as it stops (the checkpoint it saved) still arrive.

mixtape_java_flags=("${mixtape_jvm_flags[@]}" -XX:MaxRAMPercentage=75)
# MIXTAPE_JAVA_OPTS is split into words on purpose: it holds several flags.
# shellcheck disable=SC2206
mixtape_java_flags+=(${MIXTAPE_JAVA_OPTS:-})

mixtape_drop_incubator_warning() {
  trap '' INT
  local first
  if IFS= read -r first; then
    [ "$first" = "WARNING: Using incubator modules: jdk.incubator.vector" ] || printf '%s\n' "$first"
  elif [ -n "$first" ]; then
    printf '%s' "$first"
  fi
  exec cat
}

mixtape_run_java() {
  local status
  set +e
  # stdout goes straight where it went (fd 3); stderr through the filter.
  {
    "$JAVA_HOME/bin/java" "${mixtape_java_flags[@]}" "$@" 2>&1 1>&3 3>&- \
      | mixtape_drop_incubator_warning >&2
    status=${PIPESTATUS[0]}
  } 3>&1
  exit "$status"
}
