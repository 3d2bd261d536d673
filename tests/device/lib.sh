# Shared by the device script's stage scripts (source it after setting $work): the smoke
# configs' synthetic data set and the failure helper.
#   device_setup   makes $work/train and $work/test (the data of tests/tools/smoke_fingerprints.sh),
#                  sets data=(--set data.train=... --set data.test=... --set logging.progress=lines),
#                  status=0 and fail() (prints FAIL and sets status=1)
device_setup() {
  mkdir -p "$work"
  status=0
  strata data convert --format synthetic --count 120 --shape 1,8,8 --classes 4 --seed 5 \
    --out "$work/train" > /dev/null || exit 1
  strata data convert --format synthetic --count 48 --shape 1,8,8 --classes 4 --seed 6 \
    --out "$work/test" > /dev/null || exit 1
  data=(--set "data.train=$work/train" --set "data.test=$work/test" --set logging.progress=lines)
}
fail() { echo "FAIL: $*"; status=1; }
