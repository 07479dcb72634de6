"""Without Array API dispatch: SciPy and scikit-learn take MinArrays as array-likes (numpy.asarray) and return NumPy.

Run by test_interop_plain.py in a child process without SCIPY_ARRAY_API.  Functions that are NumPy ufuncs or
call NumPy functions on their input directly (scipy.special.erf, stats.zscore) reach MinArray's __array_ufunc__ /
__array_function__ and may return MinArrays; those checks accept either type ("any").
"""
import numpy as np
import scipy.fft
import scipy.integrate
import scipy.linalg
import scipy.optimize
import scipy.signal
import scipy.special
import scipy.stats
from _interop_harness import check, main
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeRegressor

rng = np.random.RandomState(0)
A = rng.normal(size=(6, 6)) + 6 * np.eye(6)
B = rng.normal(size=(6, 2))
X = rng.normal(size=(60, 4))
y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
yr = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=60)
sig = rng.normal(size=64)


def _assert_numpy_sklearn():
    import sklearn

    assert not sklearn.get_config()["array_api_dispatch"]
    from scipy._lib._array_api_override import SCIPY_ARRAY_API

    assert not SCIPY_ARRAY_API, "this script must run without SCIPY_ARRAY_API"


_assert_numpy_sklearn()


@check
def linalg_solve(c):
    c.compare(scipy.linalg.solve, A, B, expect="numpy")


@check
def linalg_svd_inv_det(c):
    c.compare(lambda a: scipy.linalg.svd(a, compute_uv=False), A, expect="numpy")
    c.compare(scipy.linalg.inv, A, expect="numpy")
    c.compare(scipy.linalg.det, A)


@check
def optimize_minimize(c):
    target = np.arange(4.0)

    def f(x0):
        res = scipy.optimize.minimize(lambda v: float(np.sum((v - target) ** 2)), x0, method="BFGS")
        return res.x

    c.compare(f, np.zeros(4), expect="numpy", scale=100)


@check
def optimize_least_squares(c):
    c.compare(lambda a, b: scipy.optimize.lsq_linear(a, b[:, 0]).x, A, B, expect="any", scale=100)


@check
def stats_describe_linregress_norm(c):
    c.compare(lambda s: tuple(scipy.stats.describe(s))[1:], sig, expect="any")
    c.compare(lambda a, b: (scipy.stats.linregress(a, b).slope, scipy.stats.linregress(a, b).intercept),
              X[:, 0], yr, expect="numpy")
    c.compare(scipy.stats.norm.pdf, sig, expect="numpy")
    c.compare(scipy.stats.zscore, sig, expect="any")


@check
def special_fft_signal_integrate(c):
    c.compare(scipy.special.erf, sig, expect="any")
    c.compare(scipy.fft.fft, sig, expect="numpy")
    c.compare(lambda s: scipy.signal.convolve(s, s[:5]), sig, expect="numpy")
    c.compare(lambda s: scipy.signal.welch(s, nperseg=16), sig, expect="numpy")
    c.compare(scipy.integrate.trapezoid, sig, expect="numpy")
    c.compare(scipy.integrate.simpson, sig, expect="numpy")


@check
def kmeans(c):
    def f(x):
        km = KMeans(3, n_init=2, random_state=0).fit(x)
        return km.cluster_centers_, km.predict(x), km.inertia_

    c.compare(f, X, expect="numpy", scale=10)


@check
def random_forest_tree(c):
    c.compare(lambda x, t: RandomForestClassifier(10, random_state=0).fit(x, t).predict_proba(x), X, y,
              expect="numpy")
    c.compare(lambda x, t: DecisionTreeRegressor(max_depth=3, random_state=0).fit(x, t).predict(x), X, yr,
              expect="numpy")


@check
def neighbors_svc_lasso(c):
    c.compare(lambda x, t: KNeighborsClassifier(3).fit(x, t).predict_proba(x), X, y, expect="numpy")
    c.compare(lambda x, t: SVC(random_state=0).fit(x, t).decision_function(x), X, y, expect="numpy", scale=10)
    c.compare(lambda x, t: Lasso(alpha=0.01).fit(x, t).coef_, X, yr, expect="numpy", scale=10)


@check
def ridge_logistic_scaler_pca(c):
    c.compare(lambda x, t: Ridge(1.0).fit(x, t).predict(x), X, yr, expect="numpy")
    c.compare(lambda x, t: LogisticRegression().fit(x, t).predict_proba(x), X, y, expect="numpy", scale=10)
    c.compare(lambda x: StandardScaler().fit_transform(x), X, expect="numpy")
    c.compare(lambda x: np.abs(PCA(2).fit_transform(x)), X, expect="any")


@check
def metrics(c):
    c.compare(accuracy_score, y, 1 - y)
    c.compare(r2_score, yr, yr + 0.1 * X[:, 0])


if __name__ == "__main__":
    main()
