"""Small CS231n-style deep learning toolkit on minpy_array: layers (written with minpy_array.numpy ops, so
autodiff differentiates them; convolution and pooling are MXNet symbols as `Function`s), initialisers, update
rules, a minibatch iterator, two models and a Solver."""
from . import data, init, layers, models, optim, solver
from .data import Batches
from .layers import (
    affine,
    affine_relu,
    avg_pool,
    batchnorm,
    conv,
    conv_relu_pool,
    dropout,
    lstm,
    lstm_step,
    max_pool,
    relu,
    rnn,
    rnn_step,
    sigmoid,
    softmax_loss,
    svm_loss,
    tanh,
    temporal_affine,
    temporal_softmax_loss,
)
from .models import ConvNet, TwoLayerNet
from .optim import adam, rmsprop, sgd, sgd_momentum
from .solver import Solver

__all__ = ["data", "init", "layers", "models", "optim", "solver", "Batches", "affine", "affine_relu", "avg_pool",
           "batchnorm", "conv", "conv_relu_pool", "dropout", "lstm", "lstm_step", "max_pool", "relu", "rnn",
           "rnn_step", "sigmoid", "softmax_loss", "svm_loss", "tanh", "temporal_affine", "temporal_softmax_loss",
           "ConvNet", "TwoLayerNet", "adam", "rmsprop", "sgd", "sgd_momentum", "Solver"]
