#!/usr/bin/python3
"""PyTorch reference for the Goldpan worker's engine (distribution matching with DSA).

Mirrors the Java/DJL worker (worker/src/main/java/dev/goldpan/worker) operation for operation so
that the two can be compared on the same machine:

* ``throughput`` (default) measures the same three hot loops as
  ``java -jar worker/target/goldpan-worker.jar benchmark`` (cli/BenchmarkCommand.java), with the
  same flags and the same JSON keys: DM iterations/s, scoring (SGD training) samples/s and
  evaluation epochs/s on a 100-image synthetic set.
* ``accuracy`` runs a small end-to-end DM distillation of Fashion-MNIST without pruning and
  evaluates the synthetic set and a random-real baseline of the same size.

Model (model/ConvNet.java): ``depth`` blocks of 3x3 conv (padding 3 in the first block for
1-channel 28x28 input, so it is treated as 32x32), instance norm, ReLU and 2x2 average pooling,
then one linear classifier; PyTorch's default initialisation. DSA (model/DsaAugmentation.java):
one of color, crop, cutout, flip, scale, rotate per call, with parameters drawn per group of rows.

Run with Debian's interpreter, /usr/bin/python3 (torch and numpy are installed there only).
"""

import argparse
import gzip
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

WARMUP = 3
SCORE_BATCH = 256

# Classifier training of the reference method (engine/ClassifierTraining.java).
TRAIN_BATCH = 256
TRAIN_LR = 0.01
TRAIN_MOMENTUM = 0.9
TRAIN_WEIGHT_DECAY = 5e-4
TEST_BATCH = 512

# Distribution matching (engine/DistributionMatching.java): SGD on the images, momentum 0.5.
DM_MOMENTUM = 0.5


# --------------------------------------------------------------------------------------------
# Data


def read_idx(path):
    """Reads a gzipped IDX file into a numpy array of its declared shape (uint8 data)."""
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(directory, prefix):
    """Images [N, 1, 28, 28] as float32 in [0, 1] and int64 labels of one IDX split."""
    images = read_idx(directory / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(directory / f"{prefix}-labels-idx1-ubyte.gz")
    pixels = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return pixels, torch.from_numpy(labels.astype(np.int64))


def load_fashion_mnist(directory):
    """Train and test splits, normalised per channel with the train set's mean and population
    standard deviation (data/Normalization.java)."""
    train_x, train_y = load_split(directory, "train")
    test_x, test_y = load_split(directory, "t10k")
    values = train_x.double()
    mean = values.mean(dim=(0, 2, 3), keepdim=True)
    std = values.std(dim=(0, 2, 3), unbiased=False, keepdim=True)
    mean, std = mean.float(), std.float()
    return (train_x - mean) / std, train_y, (test_x - mean) / std, test_y


def class_pools(labels, classes):
    """Per class, the indices of its samples, in ascending order."""
    return [np.flatnonzero(labels.numpy() == c) for c in range(classes)]


# --------------------------------------------------------------------------------------------
# Model


class ConvNet(nn.Module):
    """The ConvNet of the DC/DM/DSA papers, as model/ConvNet.java builds it."""

    def __init__(self, channels, height, width_px, classes, width, depth, affine):
        super().__init__()
        first_padding = 3 if channels == 1 and height == 28 else 1
        rows = height + 2 * first_padding - 2
        columns = width_px + 2 * first_padding - 2
        layers = []
        in_channels = channels
        for block in range(depth):
            padding = first_padding if block == 0 else 1
            layers += [
                nn.Conv2d(in_channels, width, kernel_size=3, padding=padding),
                nn.GroupNorm(width, width, affine=affine),
                nn.ReLU(inplace=True),
                nn.AvgPool2d(kernel_size=2, stride=2),
            ]
            in_channels = width
            rows //= 2
            columns //= 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * rows * columns, classes)

    def embed(self, images):
        """The flattened features before the classifier."""
        return self.features(images).flatten(1)

    def forward(self, images):
        return self.classifier(self.embed(images))


def new_convnet(images, classes, args, affine):
    """A freshly initialised ConvNet for images shaped like ``images``. Trained networks carry the
    instance-norm scale and shift; DM's throwaway networks do not (1 and 0 at init anyway)."""
    _, channels, height, width_px = images.shape
    return ConvNet(channels, height, width_px, classes, args.width, args.depth, affine)


# --------------------------------------------------------------------------------------------
# Differentiable siamese augmentation


class Dsa:
    """DSA with the strategy color_crop_cutout_flip_scale_rotate in single-transform mode.

    ``sample`` draws one plan: a transform chosen uniformly and its parameters per group of rows;
    ``apply`` applies it to images whose rows form ``groups`` contiguous, equal groups (classes
    for distillation, single images for training), so that real and synthetic images of the same
    class get identical parameters.
    """

    TRANSFORMS = ("color", "crop", "cutout", "flip", "scale", "rotate")
    FLIP_PROBABILITY = 0.5
    SCALE_RATIO = 1.2
    ROTATE_DEGREES = 15.0
    CROP_RATIO = 0.125
    CUTOUT_RATIO = 0.5
    BRIGHTNESS = 1.0
    SATURATION = 2.0
    CONTRAST = 0.5

    def __init__(self, height, width):
        self.height = height
        self.width = width

    def sample(self, rng, groups):
        """A plan: one transform for all groups, parameters drawn per group from ``rng``."""
        transform = self.TRANSFORMS[rng.integers(len(self.TRANSFORMS))]
        if transform == "color":
            return {
                "transform": transform,
                "brightness": (rng.random(groups) - 0.5) * self.BRIGHTNESS,
                "saturation": rng.random(groups) * self.SATURATION,
                "contrast": rng.random(groups) + self.CONTRAST,
            }
        if transform == "cutout":
            return {"transform": transform, "mask": self._cutout_masks(rng, groups)}
        theta = np.stack([self._affine(transform, rng) for _ in range(groups)])
        return {"transform": transform, "theta": torch.from_numpy(theta).float()}

    def _cutout_masks(self, rng, groups):
        """[groups, H, W] masks that zero a square of half the side, its centre drawn uniformly
        (the square may stick out of the image)."""
        cut_h = int(self.height * self.CUTOUT_RATIO + 0.5)
        cut_w = int(self.width * self.CUTOUT_RATIO + 0.5)
        tops = rng.integers(0, self.height + (1 - cut_h % 2), groups) - cut_h // 2
        lefts = rng.integers(0, self.width + (1 - cut_w % 2), groups) - cut_w // 2
        rows = np.arange(self.height)[None, :, None]
        columns = np.arange(self.width)[None, None, :]
        cut = (
            (rows >= tops[:, None, None])
            & (rows < tops[:, None, None] + cut_h)
            & (columns >= lefts[:, None, None])
            & (columns < lefts[:, None, None] + cut_w)
        )
        return torch.from_numpy(np.where(cut, 0.0, 1.0).astype(np.float32))

    def _affine(self, transform, rng):
        """The 2x3 matrix mapping output to input coordinates in [-1, 1] (affine_grid's theta)."""
        if transform == "flip":
            sign = -1.0 if rng.random() < self.FLIP_PROBABILITY else 1.0
            return np.array([[sign, 0, 0], [0, 1, 0]])
        if transform == "crop":
            max_x = int(self.width * self.CROP_RATIO + 0.5)
            max_y = int(self.height * self.CROP_RATIO + 0.5)
            shift_x = rng.integers(-max_x, max_x + 1)
            shift_y = rng.integers(-max_y, max_y + 1)
            # With align_corners=True one pixel is 2 / (side - 1) in normalised coordinates.
            return np.array(
                [
                    [1, 0, 2.0 * shift_x / max(1, self.width - 1)],
                    [0, 1, 2.0 * shift_y / max(1, self.height - 1)],
                ]
            )
        if transform == "scale":
            low = 1.0 / self.SCALE_RATIO
            sx, sy = rng.random(2) * (self.SCALE_RATIO - low) + low
            return np.array([[sx, 0, 0], [0, sy, 0]])
        if transform == "rotate":
            angle = (rng.random() - 0.5) * 2 * self.ROTATE_DEGREES / 180 * math.pi
            cos, sin = math.cos(angle), math.sin(angle)
            return np.array([[cos, -sin, 0], [sin, cos, 0]])
        raise ValueError(f"{transform} is not geometric")

    def apply(self, plan, images):
        """Applies ``plan`` to images [N, C, H, W]; row r belongs to group r // (N / groups)."""
        rows, channels, height, width = images.shape
        transform = plan["transform"]
        if transform == "color":
            groups = len(plan["brightness"])
            x = images.reshape(groups, rows // groups, channels, height, width)
            x = x + _per_group(plan["brightness"])
            channel_mean = x.mean(dim=2, keepdim=True)
            x = (x - channel_mean) * _per_group(plan["saturation"]) + channel_mean
            image_mean = x.mean(dim=(2, 3, 4), keepdim=True)
            x = (x - image_mean) * _per_group(plan["contrast"]) + image_mean
            return x.reshape(images.shape)
        if transform == "cutout":
            mask = plan["mask"]
            groups = mask.shape[0]
            x = images.reshape(groups, rows // groups, channels, height, width)
            return (x * mask[:, None, None]).reshape(images.shape)
        # Geometric: one bilinear resampling per group, all rows of a group stacked as channels.
        theta = plan["theta"]
        groups = theta.shape[0]
        x = images.reshape(groups, rows // groups * channels, height, width)
        grid = F.affine_grid(theta, list(x.shape), align_corners=True)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
        return x.reshape(images.shape)


def _per_group(values):
    """Per-group factors as a [groups, 1, 1, 1, 1] float32 tensor."""
    return torch.from_numpy(np.asarray(values, dtype=np.float32)).reshape(-1, 1, 1, 1, 1)


# --------------------------------------------------------------------------------------------
# Distribution matching


class DistributionMatching:
    """DM (Zhao and Bilen, WACV 2023) exactly as engine/DistributionMatching.java runs it: per
    iteration a fresh random ConvNet, a class-major real batch, one DSA plan shared by real and
    synthetic images of each class, and SGD (momentum 0.5) on the synthetic images of the loss
    sum_c ||mean real embedding - mean synthetic embedding||^2."""

    def __init__(self, real_images, pools, initial, dsa, batch_real, learning_rate, args):
        self.real_images = real_images
        self.pools = pools
        self.dsa = dsa
        self.batch_real = batch_real
        self.args = args
        self.synthetic = initial.clone().requires_grad_(True)
        self.optimizer = torch.optim.SGD(
            [self.synthetic], lr=learning_rate, momentum=DM_MOMENTUM
        )

    def draw_real_batch(self, rng):
        """Per class ``batch_real`` pool samples, without replacement when the pool is large
        enough (with replacement otherwise); class-major."""
        picked = [
            rng.choice(pool, self.batch_real, replace=len(pool) < self.batch_real)
            for pool in self.pools
        ]
        return self.real_images[torch.from_numpy(np.concatenate(picked))]

    def step(self, rng):
        """One iteration; returns the loss before the update."""
        classes = len(self.pools)
        network = new_convnet(self.real_images, classes, self.args, affine=False)
        network.requires_grad_(False)
        real = self.draw_real_batch(rng)
        plan = self.dsa.sample(rng, classes)
        with torch.no_grad():
            embedded = network.embed(self.dsa.apply(plan, real))
            real_mean = embedded.reshape(classes, -1, embedded.shape[1]).mean(dim=1)
        embedded = network.embed(self.dsa.apply(plan, self.synthetic))
        synthetic_mean = embedded.reshape(classes, -1, embedded.shape[1]).mean(dim=1)
        loss = (real_mean - synthetic_mean).square().sum()
        self.optimizer.zero_grad(set_to_none=False)
        loss.backward()
        self.optimizer.step()
        return loss.item()


# --------------------------------------------------------------------------------------------
# Classifier training


def train_classifier(network, images, labels, epochs, rng, dsa=None, decay_at_half=False,
                     record=False):
    """Trains ``network`` as engine/ClassifierTraining.java does: cross-entropy, SGD (lr 0.01,
    momentum 0.9, weight decay 5e-4, fresh momentum buffers), batch 256 in an order reshuffled
    every epoch, optionally DSA with parameters per image (one transform per batch) and a 10x
    learning-rate drop at half the epochs. With ``record`` each sample's loss of the first epoch
    is copied to the host, as the loss-init scorer does."""
    optimizer = torch.optim.SGD(
        network.parameters(), lr=TRAIN_LR, momentum=TRAIN_MOMENTUM,
        weight_decay=TRAIN_WEIGHT_DECAY,
    )
    size = len(labels)
    order = np.arange(size)
    recorded = np.zeros(size, dtype=np.float32)
    for epoch in range(epochs):
        if decay_at_half and epoch == epochs // 2 and epoch > 0:
            for group in optimizer.param_groups:
                group["lr"] = TRAIN_LR * 0.1
        rng.shuffle(order)
        for start in range(0, size, TRAIN_BATCH):
            batch = torch.from_numpy(order[start : start + TRAIN_BATCH])
            x = images[batch]
            if dsa is not None:
                x = dsa.apply(dsa.sample(rng, len(batch)), x)
            per_sample = F.cross_entropy(network(x), labels[batch], reduction="none")
            optimizer.zero_grad(set_to_none=False)
            per_sample.mean().backward()
            optimizer.step()
            if record and epoch == 0:
                recorded[batch.numpy()] += per_sample.detach().numpy()
    return recorded


def test_accuracy(network, images, labels):
    """Fraction of ``images`` that ``network`` classifies correctly (batches of 512)."""
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), TEST_BATCH):
            logits = network(images[start : start + TEST_BATCH])
            correct += (logits.argmax(dim=1) == labels[start : start + TEST_BATCH]).sum().item()
    return correct / len(labels)


# --------------------------------------------------------------------------------------------
# Modes


def implementation():
    """The "implementation" value of the JSON results."""
    return f"pytorch {torch.__version__}"


class Clock:
    """Wall-clock and process CPU time since it was made (cli/BenchmarkCommand.java's Clock)."""

    def __init__(self):
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def put(self, result, name, count):
        """``<name>PerSecond`` and ``<name>PerCpuSecond`` for ``count`` units of work."""
        result[name + "PerSecond"] = count / (time.perf_counter() - self.wall)
        result[name + "PerCpuSecond"] = count / (time.process_time() - self.cpu)


def throughput(args):
    """The three hot loops of cli/BenchmarkCommand.java, with its protocol: 3 warm-up rounds of
    each, then the timed ones."""
    train_x, train_y, _, _ = load_fashion_mnist(Path(args.data))
    classes = int(train_y.max()) + 1
    pools = class_pools(train_y, classes)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    result = {
        "implementation": implementation(),
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "width": args.width,
        "depth": args.depth,
        "batchReal": args.batch_real,
        "imagesPerClass": args.images_per_class,
    }
    initial = train_x[torch.from_numpy(
        np.concatenate([pool[: args.images_per_class] for pool in pools]))]
    synthetic_y = torch.arange(classes).repeat_interleave(args.images_per_class)
    dsa = Dsa(train_x.shape[2], train_x.shape[3])

    matching = DistributionMatching(train_x, pools, initial, dsa, args.batch_real, 1.0, args)
    for _ in range(WARMUP):
        matching.step(rng)
    clock = Clock()
    for _ in range(args.dm_iterations):
        matching.step(rng)
    clock.put(result, "dmIterations", args.dm_iterations)

    picked = torch.from_numpy(
        rng.permutation(len(train_y))[: (WARMUP + args.score_batches) * SCORE_BATCH])
    warm, timed = picked[: WARMUP * SCORE_BATCH], picked[WARMUP * SCORE_BATCH :]
    scorer = new_convnet(train_x, classes, args, affine=True)
    train_classifier(scorer, train_x[warm], train_y[warm], 1, rng)
    timed_x, timed_y = train_x[timed], train_y[timed]
    clock = Clock()
    train_classifier(scorer, timed_x, timed_y, 1, rng, record=True)
    clock.put(result, "scoringSamples", len(timed))

    network = new_convnet(train_x, classes, args, affine=True)
    train_classifier(network, initial, synthetic_y, WARMUP, rng, dsa, decay_at_half=True)
    clock = Clock()
    train_classifier(network, initial, synthetic_y, args.eval_epochs, rng, dsa,
                     decay_at_half=True)
    clock.put(result, "evaluationEpochs", args.eval_epochs)
    print(json.dumps(result), flush=True)


def evaluate(images, labels, test_x, test_y, classes, args, rng, dsa):
    """Test accuracies of ``eval_models`` fresh ConvNets trained on (images, labels) with DSA."""
    accuracies = []
    for _ in range(args.eval_models):
        network = new_convnet(images, classes, args, affine=True)
        train_classifier(network, images, labels, args.eval_epochs, rng, dsa, decay_at_half=True)
        accuracies.append(test_accuracy(network, test_x, test_y))
    return accuracies


def random_per_class(pools, count, rng):
    """Per class, ``count`` distinct random pool samples; class-major."""
    return torch.from_numpy(
        np.concatenate([rng.choice(pool, count, replace=False) for pool in pools]))


def accuracy(args):
    """End-to-end DM on Fashion-MNIST (no pruning: every real sample is in its class pool),
    evaluated against a random-real subset of the same size."""
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    train_x, train_y, test_x, test_y = load_fashion_mnist(Path(args.data))
    classes = int(train_y.max()) + 1
    pools = class_pools(train_y, classes)
    dsa = Dsa(train_x.shape[2], train_x.shape[3])
    labels = torch.arange(classes).repeat_interleave(args.ipc)

    initial = train_x[random_per_class(pools, args.ipc, rng)]
    matching = DistributionMatching(train_x, pools, initial, dsa, args.batch_real, 1.0, args)
    for _ in range(args.iterations):
        matching.step(rng)
    synthetic = matching.synthetic.detach()

    distilled = evaluate(synthetic, labels, test_x, test_y, classes, args, rng, dsa)
    baseline_x = train_x[random_per_class(pools, args.ipc, rng)]
    baseline = evaluate(baseline_x, labels, test_x, test_y, classes, args, rng, dsa)
    print(json.dumps({
        "implementation": implementation(),
        "accuracyMean": float(np.mean(distilled)),
        "accuracyStd": float(np.std(distilled)),
        "randomRealMean": float(np.mean(baseline)),
        "randomRealStd": float(np.std(baseline)),
        "seconds": time.perf_counter() - started,
    }), flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", choices=("throughput", "accuracy"),
                        default="throughput")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                        help="Fashion-MNIST IDX directory (gzipped files)")
    parser.add_argument("--width", type=int, default=None,
                        help="ConvNet width (default: 128 for throughput, 32 for accuracy)")
    parser.add_argument("--depth", type=int, default=3, help="ConvNet depth")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch intra-op threads (default 0: leave torch's default)")
    throughput_options = parser.add_argument_group("throughput")
    throughput_options.add_argument("--images-per-class", type=int, default=10)
    throughput_options.add_argument("--batch-real", type=int, default=64,
                                    help="real images per class per DM iteration")
    throughput_options.add_argument("--dm-iterations", type=int, default=20,
                                    help="timed DM iterations")
    throughput_options.add_argument("--score-batches", type=int, default=20,
                                    help="timed scoring batches of 256")
    throughput_options.add_argument("--eval-epochs", type=int, default=None,
                                    help="timed evaluation epochs (throughput, default 20) or "
                                         "training epochs per evaluation model (accuracy, "
                                         "default 50)")
    accuracy_options = parser.add_argument_group("accuracy")
    accuracy_options.add_argument("--ipc", type=int, default=10, help="synthetic images per class")
    accuracy_options.add_argument("--iterations", type=int, default=200, help="DM iterations")
    accuracy_options.add_argument("--eval-models", type=int, default=2,
                                  help="networks trained per evaluated set")
    accuracy_options.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.width is None:
        args.width = 128 if args.mode == "throughput" else 32
    if args.eval_epochs is None:
        args.eval_epochs = 20 if args.mode == "throughput" else 50
    return args


def main():
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.mode == "throughput":
        throughput(args)
    else:
        accuracy(args)


if __name__ == "__main__":
    main()
