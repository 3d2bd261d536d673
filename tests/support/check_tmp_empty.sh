#!/usr/bin/env bash
# check_tmp_empty.sh DIR: the last test of the suite. Every test keeps its temporary files in a
# folder of its own under DIR (ctest's TMPDIR) and removes it on every exit path; anything still
# there was left behind by a test: name it, fail, and empty DIR for the next run.
set -u
dir=${1:?usage: check_tmp_empty.sh DIR}
[[ -d $dir ]] || { echo "check_tmp_empty: $dir does not exist (tmp_setup did not run?)"; exit 1; }
left=$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
if [[ -n $left ]]; then
  echo "FAIL: tests left these in $dir:"
  echo "$left" | sed 's/^/  /'
  find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  exit 1
fi
echo "ok: nothing left in $dir"
