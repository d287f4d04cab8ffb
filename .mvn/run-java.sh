# Runs Java for a Mixtape launcher (./mixtape, the distribution's bin/mixtape): sourced after
# jvm-flags.sh, it sets mixtape_java_flags (the JVM flags, the default heap, then $MIXTAPE_JAVA_OPTS);
# `mixtape_startup_cache CACHE CLASSPATH` adds the start-up cache to them, and
# `mixtape_run_java ARGS...` replaces the shell with "$JAVA_HOME/bin/java" and them and ARGS, so that
# signals (Ctrl-C, kill) reach the JVM itself.
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

# The start-up cache: JDK 25's AOT cache of the classes a run loads and the profiles of its hot
# methods, recorded from a short run of the common commands (dev.mixtape.cli.StartupWorkload) and used
# by every run after it, which then reaches its first token several times sooner. It is recorded again
# when a jar of CLASSPATH (jars and folder/* entries, as -cp takes them) is newer than it, or the JDK
# changed; a cache the JVM cannot use is ignored quietly. MIXTAPE_AOT_CACHE=off runs without one.
mixtape_startup_cache() {
  local cache=$1 classpath=$2
  [ "${MIXTAPE_AOT_CACHE:-on}" = off ] && return 0
  local jdk recording entries entry paths=()
  jdk="$JAVA_HOME $(grep -s '^JAVA_RUNTIME_VERSION=' "$JAVA_HOME/release" || true)"
  IFS=: read -ra entries <<< "$classpath"
  for entry in "${entries[@]}"; do
    paths+=("${entry%/\*}")
  done
  if [ ! -f "$cache" ] || [ "$(cat "$cache.jdk" 2>/dev/null)" != "$jdk" ] \
       || [ -n "$(find "${paths[@]}" -maxdepth 1 -name '*.jar' -newer "$cache" -print -quit 2>/dev/null)" ]; then
    mkdir -p "$(dirname "$cache")" 2>/dev/null || true
    echo "mixtape: recording the start-up cache (once per build or install, about half a minute)..." >&2
    recording="$cache.$$"
    if "$JAVA_HOME/bin/java" "${mixtape_java_flags[@]}" -cp "$classpath" -XX:AOTCacheOutput="$recording" \
         -Xlog:aot=off -Xlog:cds=off dev.mixtape.cli.StartupWorkload >/dev/null 2>&1 && [ -f "$recording" ]; then
      mv -f "$recording" "$cache" && printf '%s\n' "$jdk" > "$cache.jdk"
    else
      echo "mixtape: could not record the start-up cache; starting without it" >&2
    fi
    rm -f "$recording" "$recording.config"
  fi
  if [ -f "$cache" ]; then
    mixtape_java_flags+=(-XX:AOTCache="$cache" -Xlog:aot=off -Xlog:cds=off)
  fi
}

mixtape_run_java() {
  # stderr through the filter, in a process of its own that outlives the shell this replaces.
  exec "$JAVA_HOME/bin/java" "${mixtape_java_flags[@]}" "$@" 2> >(mixtape_drop_incubator_warning >&2)
}
