"""Shared fixtures: one tiny synthetic corpus per test session, written through the real generator."""
import pytest

from atnet.data.datasets import synthetic

TINY = dict(subjects=(2, 2, 2), fraction=0.02)   # two clips per class and corpus: 18 clips


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    synthetic.synthesize(root, jobs=2, progress=False, **TINY)
    return root


MEGAMIND = "usr/share/doc/opencv-doc/examples/data/Megamind.avi"


@pytest.fixture(scope="session")
def megamind(request):
    """Megamind.avi (270 frames, 720x528, an animated talking face) from Debian's opencv-doc package,
    fetched at test time into .cache/test-data (ignored by git, never committed)."""
    import shutil
    import subprocess

    folder = request.config.rootpath / ".cache" / "test-data"
    video = folder / MEGAMIND
    if video.is_file():
        return video
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("apt-get/dpkg-deb not available: Megamind.avi comes from Debian's opencv-doc package")
    folder.mkdir(parents=True, exist_ok=True)
    got = subprocess.run(["apt-get", "download", "opencv-doc"], cwd=folder, capture_output=True, text=True)
    debs = sorted(folder.glob("opencv-doc_*.deb"))
    if got.returncode != 0 or not debs:
        pytest.skip(f"`apt-get download opencv-doc` failed (run `apt-get update` first?): {got.stderr.strip()[-300:]}")
    tar = subprocess.run(f"dpkg-deb --fsys-tarfile {debs[-1].name} | tar -x ./{MEGAMIND}", shell=True, cwd=folder,
                         capture_output=True, text=True)
    for d in debs:
        d.unlink()
    assert tar.returncode == 0 and video.is_file(), f"opencv-doc holds no {MEGAMIND}: {tar.stderr}"
    return video
