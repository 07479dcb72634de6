"""Two-layer net (affine-relu-dropout-affine-softmax) on scikit-learn's digits with nn.Solver.

    python examples/two_layer_net.py [--short] [--device cpu|torch:cpu|cuda:0|sim:0|gpu:0]
"""
import argparse
import sys

import minpy_array as mp
from minpy_array.nn import Solver, TwoLayerNet
from minpy_array.nn.data import load_digits


def digits(seed=0):
    return load_digits(seed, shape="flat", center=False)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short", action="store_true", help="two epochs (the test suite's smoke run)")
    p.add_argument("--device", default="cpu", help="where the arrays live and the ops run (default cpu)")
    args = p.parse_args(argv)
    with mp.device(args.device):
        return run(args)


def run(args):
    data = digits()
    model = TwoLayerNet(64, hidden_dim=100, num_classes=10, weight_scale=0.1, reg=1e-4, dropout=0.1)
    solver = Solver(model, data, update_rule="sgd_momentum", optim_config={"learning_rate": 0.1},
                    lr_decay=0.95, batch_size=50, num_epochs=2 if args.short else 20)
    solver.train()
    acc = solver.check_accuracy(data["X_test"], data["y_test"])
    print(f"two-layer net: best val acc {solver.best_val_acc:.3f}, test acc {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
    sys.exit(0)
