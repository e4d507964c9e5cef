"""CIFAR's on-disk format (python-pickle batches), written with random pixels: the tests and
``make gpu-check`` read CIFAR through the library's own reader without downloading anything."""
import pathlib
import pickle

import numpy as np

import bnexplained as bnx


def write_batches(folder, files, label_key, sizes, seed=0, classes=10, labels=None):
    """Write ``files`` (``sizes[i]`` random images each) into ``folder`` as CIFAR batches; return
    ``{file: (data, labels)}``. ``labels`` (optional) lists the classes to draw from."""
    rng = np.random.default_rng(seed)
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True)
    pool = np.arange(classes) if labels is None else np.asarray(labels)
    written = {}
    for f, n in zip(files, sizes):
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        ys = rng.choice(pool, size=n).tolist()
        batch = {b"batch_label": f.encode(), b"data": data, label_key.encode(): ys, b"filenames": [b"x.png"] * n}
        if label_key == "fine_labels":
            batch[b"coarse_labels"] = [v // 5 for v in ys]
        with open(folder / f, "wb") as fh:
            pickle.dump(batch, fh, protocol=2)
        written[f] = (data, ys)
    return written


def write_cifar(root, name: str, train: int, test: int, *, classes=None, seed: int = 0):
    """A small CIFAR-10 or CIFAR-100 under ``root`` in the real layout (``train`` training images spread over
    the real training files, ``test`` test images); labels drawn from ``classes`` (default: all)."""
    sub, train_files, test_files, label_key, _ = bnx.data.CIFAR_FILES[name]
    n_classes = 100 if name == "cifar100" else 10
    per_file = [train // len(train_files) + (i < train % len(train_files)) for i in range(len(train_files))]
    return write_batches(pathlib.Path(root) / sub, train_files + test_files, label_key,
                         per_file + [test] * len(test_files), seed=seed, classes=n_classes, labels=classes)
