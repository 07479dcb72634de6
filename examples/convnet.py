"""Convnet on scikit-learn's digits: conv - relu - max pool - affine - relu - affine - softmax, trained with
nn.Solver and Adam (conv and pooling are ops that every backend serves).

    python examples/convnet.py [--short] [--device cpu|torch:cpu|cuda:0|sim:0|gpu:0]
"""
import argparse
import sys

import minpy_array as mp
from minpy_array.nn import ConvNet, Solver
from minpy_array.nn.data import load_digits


def digits(seed=0):
    return load_digits(seed, shape="channels")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short", action="store_true", help="two epochs on 600 images (the test suite's smoke run)")
    p.add_argument("--device", default="cpu", help="where the arrays live and the ops run (default cpu)")
    args = p.parse_args(argv)
    with mp.device(args.device):
        return run(args)


def run(args):
    data = digits()
    if args.short:
        data["X_train"], data["y_train"] = data["X_train"][:600], data["y_train"][:600]
    model = ConvNet(input_dim=(1, 8, 8), num_filters=32, hidden_dim=64, reg=1e-3)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 3e-3}, lr_decay=0.9,
                    batch_size=50, num_epochs=2 if args.short else 20, num_train_samples=300)
    mp.reset_op_stats()
    solver.train()
    acc = solver.check_accuracy(data["X_test"], data["y_test"])
    print(f"convnet: best val acc {solver.best_val_acc:.3f}, test acc {acc:.3f}")
    print(mp.op_stats())
    return acc


if __name__ == "__main__":
    main()
    sys.exit(0)
