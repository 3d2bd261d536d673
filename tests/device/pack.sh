#!/usr/bin/env bash
# Packs programs built here so that they run on a bare GPU machine, which has CUDA, cuBLAS,
# cuDNN and NCCL (inside its PyTorch install) but no MPI, HDF5 or yaml-cpp and no package registry.
#   usage: tests/device/pack.sh DEST PROGRAM...      (DEST: a git-ignored folder of the repo, copied along)
#          pack.sh DEST.tar.xz PROGRAM... (the same, compressed into one file whose top folder is
#                                          strata-pack/: what is copied to the GPU machine is limited to 64 MiB, and an
#                                          uncompressed CUDA build with its libraries is larger)
# It copies each program to DEST/bin, every shared library they need except glibc and the CUDA
# libraries to DEST/lib, and the Open MPI runtime (mpirun, orted, plugins, help files) to DEST/ompi.
# On the GPU machine:  source DEST/env.sh   then run DEST/bin/PROGRAM or mpirun -np N DEST/bin/PROGRAM
set -euo pipefail
dest=$1; shift
archive=""
if [[ $dest == *.tar.xz ]]; then
  archive=$(readlink -f "$(dirname "$dest")")/$(basename "$dest")
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  dest=$tmp/strata-pack
fi
mkdir -p "$dest/bin" "$dest/lib"
skip='^(linux-vdso|libstdc\+\+|libgcc_s|ld-linux|libc\.so|libm\.so|libmvec|libpthread|libdl\.so|librt\.so|libresolv|libutil|libcuda\.so|libcudart|libcublas|libcudnn|libnccl|libcurand|libcufft|libcusolver|libcusparse|libnvrtc|libnvJitLink|libnvidia)'
copy_deps() {
  ldd "$1" 2>/dev/null | awk '/=> \//{print $1" "$3}' | while read -r name path; do
    [[ $name =~ $skip ]] && continue
    [[ -e $dest/lib/$name ]] || cp -L "$path" "$dest/lib/$name"
  done
}
for p in "$@"; do cp -L "$p" "$dest/bin/"; copy_deps "$p"; done
if command -v orterun >/dev/null; then            # Debian's Open MPI, relocated with OPAL_PREFIX
  o=$dest/ompi/usr
  mkdir -p "$o/bin" "$o/lib/x86_64-linux-gnu" "$o/share"
  cp -L /usr/bin/orterun /usr/bin/orted "$o/bin/"; ln -sf orterun "$o/bin/mpirun"
  cp -a /usr/lib/x86_64-linux-gnu/openmpi "$o/lib/x86_64-linux-gnu/"
  rm -rf "$o/lib/x86_64-linux-gnu/openmpi/include"
  cp -a /usr/share/openmpi "$o/share/" 2>/dev/null || true
  cp -a /usr/share/pmix "$o/share/" 2>/dev/null || true
  for f in "$o/bin/orterun" "$o/bin/orted" "$o"/lib/x86_64-linux-gnu/openmpi/lib/openmpi3/*.so; do copy_deps "$f"; done
fi
cat > "$dest/env.sh" <<'ENV'
# source this on the GPU machine
_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_cuda=$(find / -xdev \( -name 'libcublas.so.1[0-9]' -o -name 'libcudnn.so.9' -o -name 'libnccl.so.2' -o -name 'libcudart.so.1[0-9]' \) 2>/dev/null | xargs -r -n1 dirname | sort -u | tr '\n' ':')
export LD_LIBRARY_PATH=$_here/lib:$_here/ompi/usr/lib/x86_64-linux-gnu/openmpi/lib:${_cuda}${LD_LIBRARY_PATH:-}
export OPAL_PREFIX=$_here/ompi/usr PATH=$_here/ompi/usr/bin:$_here/bin:$PATH
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
export PMIX_MCA_pcompress_base_silence_warning=1 PMIX_MCA_mca_base_component_show_load_errors=0
ENV
for f in "$dest"/bin/* "$dest"/lib/*; do strip --strip-unneeded "$f" 2>/dev/null || true; done
if [[ -n $archive ]]; then
  mkdir -p "$(dirname "$archive")"
  tar -C "$(dirname "$dest")" -cf - strata-pack | xz -T0 -6 >"$archive"
  ls -l "$archive"
  echo "on the GPU machine: tar -C /tmp -xJf ${archive##*/} && source /tmp/strata-pack/env.sh"
else
  du -sh "$dest"
fi
