"""DataLoader throughput with an augmentation-heavy, per-sample pipeline: num_workers 0 vs 2.

Each sample is a 3x32x32 uint8 image that __getitem__ converts to float32 and passes through
RandomCrop(32, padding=4), RandomHorizontalFlip and Normalize (pygrad.data.transforms, one image at
a time, the torchvision way); batches of 128 come back through shared memory from the workers.

Run: pytest benchmarks/bench_dataloader.py --benchmark-only    (pytest-benchmark table)
     python benchmarks/bench_dataloader.py [--images 2048]     (prints batches/s per num_workers)
"""

import argparse
import time

import numpy as np
import pytest

import pygrad
from pygrad.data import (
    Compose,
    DataLoader,
    Dataset,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
)

BATCH = 128


class AugmentedImages(Dataset):
    """Random uint8 images with per-sample crop / flip / normalise, and a label each."""

    def __init__(self, n):
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
        self.labels = rng.integers(0, 10, size=n)
        self.augment = Compose(
            [
                RandomCrop(32, padding=4),
                RandomHorizontalFlip(),
                Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26)),
            ]
        )

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        image = pygrad.from_numpy(self.images[i : i + 1].astype(np.float32) / 255.0)
        return self.augment(image)[0], int(self.labels[i])


def make_loader(num_workers, images=512):
    """A loader over `images` samples; the workers persist so an epoch measures steady state."""
    extra = {"persistent_workers": True} if num_workers else {}
    return DataLoader(
        AugmentedImages(images),
        batch_size=BATCH,
        shuffle=True,
        seed=0,
        num_workers=num_workers,
        **extra,
    )


def epoch(loader):
    count = 0
    for x, y in loader:
        assert x.shape[1:] == (3, 32, 32) and y.shape[0] == x.shape[0]
        count += 1
    return count


@pytest.mark.parametrize("num_workers", [0, 2])
def test_augmented_epoch(benchmark, num_workers):
    loader = make_loader(num_workers)
    epoch(loader)  # starts the workers outside the timing
    assert benchmark(epoch, loader) == len(loader)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.images} images 3x32x32, batch {BATCH}, crop+flip+normalize per sample")
    for num_workers in (0, 2):
        loader = make_loader(num_workers, args.images)
        epoch(loader)
        start = time.perf_counter()
        batches = sum(epoch(loader) for _ in range(args.epochs))
        rate = batches / (time.perf_counter() - start)
        print(f"num_workers={num_workers}: {rate:8.1f} batches/s")


if __name__ == "__main__":
    main()
