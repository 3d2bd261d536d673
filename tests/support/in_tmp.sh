#!/usr/bin/env bash
# in_tmp.sh COMMAND...: runs COMMAND with TMPDIR set to a folder of its own (made under the
# current TMPDIR with mktemp, removed afterwards whatever happens), for programs that keep
# caches in $TMPDIR; exits with COMMAND's code.
set -u
source "$(dirname "$0")/test_lib.sh"
make_workdir in_tmp
TMPDIR=$work "$@"
