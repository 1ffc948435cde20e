#!/usr/bin/python3
"""Writes a synthetic image data set as WebDataset-style tar shards for bench/scale.sh.

Layout: OUT/train/shard-NNNNN.tar and OUT/test/shard-NNNNN.tar; each sample is two members
sharing a key, <key>.png (32x32 RGB) and <key>.cls (the decimal class label). Each class is a
colour and a stripe direction plus noise, so a network can learn it; classes are interleaved, as
shards should be. PNGs are written with zlib level 1: noisy 32x32 images barely compress, and
level 1 is several times faster than the default.

Usage: tar_shards.py OUT TRAIN_IMAGES TEST_IMAGES [--per-shard 10000] [--classes 10]
                     [--processes N] [--seed 0]
"""
import argparse
import io
import multiprocessing
import os
import tarfile

import numpy as np
from PIL import Image

SIDE = 32


def class_patterns(classes, seed):
    rng = np.random.default_rng(seed)
    colours = rng.uniform(40, 215, size=(classes, 3))
    ys, xs = np.mgrid[0:SIDE, 0:SIDE]
    patterns = []
    for c in range(classes):
        angle = np.pi * c / classes
        stripes = 40 * np.sin((xs * np.cos(angle) + ys * np.sin(angle)) * 0.6)
        patterns.append(colours[c][:, None, None] + stripes[None])
    return np.stack(patterns)  # [classes, 3, H, W]


def write_shard(job):
    path, first, count, classes, seed = job
    rng = np.random.default_rng([seed, first])
    patterns = class_patterns(classes, seed)
    labels = rng.integers(0, classes, size=count)
    noise = rng.normal(0, 30, size=(count, 3, SIDE, SIDE))
    images = np.clip(patterns[labels] + noise, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    tmp = path + ".part"
    with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
        for i in range(count):
            key = "%09d" % (first + i)
            png = io.BytesIO()
            Image.fromarray(images[i], "RGB").save(png, format="PNG", compress_level=1)
            add(tar, key + ".png", png.getvalue())
            add(tar, key + ".cls", str(int(labels[i])).encode())
    os.replace(tmp, path)


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def jobs(directory, total, per_shard, classes, seed, offset):
    os.makedirs(directory, exist_ok=True)
    for shard, first in enumerate(range(0, total, per_shard)):
        path = os.path.join(directory, "shard-%05d.tar" % shard)
        if not os.path.exists(path):
            yield path, offset + first, min(per_shard, total - first), classes, seed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("train", type=int)
    parser.add_argument("test", type=int)
    parser.add_argument("--per-shard", type=int, default=10000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = list(jobs(os.path.join(args.out, "train"), args.train, args.per_shard, args.classes,
                     args.seed, 0))
    work += jobs(os.path.join(args.out, "test"), args.test, args.per_shard, args.classes,
                 args.seed, args.train)
    with multiprocessing.Pool(args.processes) as pool:
        for _ in pool.imap_unordered(write_shard, work):
            pass


if __name__ == "__main__":
    main()
