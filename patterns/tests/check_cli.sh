#!/bin/sh
# check_cli.sh REGEX COMMAND [ARGS...]: runs a pattern CLI, shows its
# output, and passes if it exited 0 and a line of its output (stdout and
# stderr) matches the extended regex REGEX.
re=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
    echo "check_cli: '$*' exited with status $rc"
    exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
    echo "check_cli: no output line of '$*' matches /$re/"
    exit 1
fi
exit 0
