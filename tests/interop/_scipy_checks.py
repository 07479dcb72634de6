"""SciPy with SCIPY_ARRAY_API=1 on MinArrays: special, stats, fft, signal, ndimage, cluster.vq, integrate, ...

Run by test_interop_scipy.py in a child process; minpy_array.interop sets the variable before SciPy is imported.
Generic functions run on the minpy_array namespace; "cpu_only" ones convert to NumPy, run SciPy's C code and
convert back: both must return MinArrays on the input's device, matching SciPy on NumPy input.  The last check
differentiates through SciPy code with minpy_array's autodiff.
"""
from minpy_array import interop

interop.enable_array_api_dispatch(sklearn=False)

import numpy as np  # noqa: E402
import scipy.cluster.vq as vq  # noqa: E402
import scipy.fft as fft  # noqa: E402
import scipy.integrate as integrate  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.ndimage as ndimage  # noqa: E402
import scipy.optimize  # noqa: E402
import scipy.optimize.elementwise  # noqa: E402
import scipy.signal as signal  # noqa: E402
import scipy.special as special  # noqa: E402
import scipy.stats as stats  # noqa: E402
from _interop_harness import check, main  # noqa: E402

import minpy_array as mp  # noqa: E402

rng = np.random.RandomState(0)
u = rng.uniform(0.05, 0.95, size=(4, 5))  # in the domain of every unary function below
pos = 3 * u + 0.1
x1 = rng.normal(size=40)
x2 = rng.normal(loc=0.3, size=40)
x3 = rng.normal(scale=2.0, size=40)
img = rng.uniform(size=(12, 10))
pts = np.concatenate([rng.normal(size=(20, 2)), rng.normal(loc=4.0, size=(20, 2))])

SPECIAL_UNIT = ["erf", "erfc", "erfinv", "expit", "logit", "ndtr", "ndtri", "log_ndtr", "entr"]
SPECIAL_POS = ["gammaln", "psi", "i0", "i0e", "i1", "i1e",
               "gamma", "j0", "j1", "k0", "y0", "cbrt", "exp2", "exp10", "sinc", "expi", "rgamma"]  # cpu_only
SPECIAL_BINARY = ["xlogy", "xlog1py", "rel_entr", "gammainc", "gammaincc", "chdtr", "chdtrc", "betaln", "poch",
                  "kl_div"]


@check
def special_elementwise(c):
    for name in SPECIAL_UNIT:
        c.compare(getattr(special, name), u)
    for name in SPECIAL_POS:
        c.compare(getattr(special, name), pos)
    for name in SPECIAL_BINARY:
        c.compare(getattr(special, name), pos, u + 0.5)
    c.compare(special.zeta, pos + 1.0, u)
    c.compare(lambda a: special.polygamma(1, a), pos)
    c.compare(lambda a: special.multigammaln(a + 2.0, 2), pos)


@check
def special_reductions(c):
    c.compare(special.logsumexp, u)
    c.compare(lambda a: special.logsumexp(a, axis=1, keepdims=True), u)
    c.compare(lambda a, b: special.logsumexp(a, b=b, axis=0, return_sign=True), u, u - 0.5)
    c.compare(lambda a: special.softmax(a, axis=1), u)
    c.compare(lambda a: special.log_softmax(a, axis=0), u)


@check
def stats_descriptive(c):
    for f in (stats.zscore, stats.skew, stats.kurtosis, stats.describe, stats.sem, stats.variation, stats.gmean,
              stats.hmean, stats.tmean, stats.tvar, stats.tstd, stats.tmin, stats.tmax, stats.iqr,
              stats.median_abs_deviation, stats.circmean, stats.circstd, stats.circvar, stats.kstat,
              stats.kstatvar, stats.gzscore, stats.gstd, stats.differential_entropy, stats.rankdata):
        c.compare(f, np.abs(x1) + 0.1)
    c.compare(lambda a: stats.moment(a, order=3), x1)
    c.compare(lambda a: stats.pmean(a, 2.0), np.abs(x1))
    c.compare(lambda a: stats.trim_mean(a, 0.1), x1)
    c.compare(lambda a: stats.quantile(a, 0.3), x1)
    c.compare(lambda a, b: stats.zmap(a, b), x1, x2)
    c.compare(lambda a: stats.zscore(a, axis=1), img)
    c.compare(lambda a: stats.entropy(a, axis=0), img)
    c.compare(lambda a, b: stats.entropy(a, b), u[0], u[1])
    c.compare(lambda a: stats.boxcox_llf(0.5, a), np.abs(x1) + 0.1)
    c.compare(lambda a: stats.yeojohnson_llf(0.5, a), x1)


@check
def stats_tests(c):
    for f in (stats.skewtest, stats.kurtosistest, stats.normaltest, stats.jarque_bera):
        c.compare(f, x1)
    for f in (stats.ttest_ind, stats.ttest_rel, stats.pearsonr, stats.mannwhitneyu, stats.brunnermunzel,
              stats.ansari):
        c.compare(f, x1, x2)
    for f in (stats.bartlett, stats.fligner, stats.kruskal, stats.levene, stats.f_oneway, stats.alexandergovern,
              stats.friedmanchisquare):
        c.compare(f, x1, x2, x3)
    c.compare(lambda a: stats.ttest_1samp(a, 0.1), x1)
    c.compare(lambda a: stats.chisquare(a), np.abs(x1) + 1.0)
    c.compare(lambda a: stats.power_divergence(a, lambda_="log-likelihood"), np.abs(x1) + 1.0)
    c.compare(lambda a: stats.false_discovery_control(a), u.ravel())


@check
def fft_transforms(c):
    for f in (fft.fft, fft.ifft, fft.rfft, fft.hfft, fft.ihfft, fft.fftshift, fft.ifftshift, fft.dct, fft.idct,
              fft.dst):
        c.compare(f, x1)
    for f in (fft.fft2, fft.ifft2, fft.fftn, fft.ifftn, fft.rfft2, fft.rfftn, fft.dctn):
        c.compare(f, img)
    c.compare(lambda a: fft.irfft(fft.rfft(a), n=40), x1)
    c.compare(lambda a: fft.irfftn(fft.rfftn(a), s=a.shape), img)
    c.compare(lambda a: fft.fft(a, n=64, norm="ortho"), x1)
    c.compare_xp(lambda xp, d: (fft.fftfreq(8, 0.5, xp=xp, device=d), fft.rfftfreq(8, xp=xp, device=d)))


@check
def signal_filters(c):
    b, a = signal.butter(3, 0.2)
    for f in (signal.convolve, signal.correlate, signal.fftconvolve):
        c.compare(f, x1, x2[:7])
    # Note: oaconvolve adds into slices of its result (`part += ...`) and relies on them being views; slices of
    # arrays on MXNet devices are copies (the Array API leaves this open), so it is wrong there (a known gap);
    # torch devices have views
    if mp.Device(c.device).backend.VIEWS:
        c.compare(signal.oaconvolve, x1, x2[:7])
    # the filter coefficients are arrays too: SciPy refuses a NumPy array next to a MinArray
    c.compare(signal.lfilter, b, a, x1)
    c.compare(signal.filtfilt, b, a, x1)
    c.compare(signal.sosfilt, signal.butter(3, 0.2, output="sos"), x1)
    c.compare(signal.detrend, x1)
    c.compare(lambda s: signal.medfilt(s, 5), x1)
    c.compare(lambda s: signal.savgol_filter(s, 7, 2), x1)
    c.compare(lambda s: signal.resample_poly(s, 3, 2), x1)
    c.compare(signal.hilbert, x1)
    c.compare(lambda s: signal.convolve2d(s, s[:3, :3]), img)
    c.compare_xp(lambda xp, d: tuple(getattr(signal.windows, w)(16, xp=xp, device=d)
                                     for w in ("hann", "hamming", "blackman", "bartlett", "tukey", "cosine")))
    c.compare_xp(lambda xp, d: (signal.get_window("hann", 12, xp=xp, device=d),
                                signal.savgol_coeffs(7, 2, xp=xp, device=d)))


@check
def ndimage_filters(c):
    for f in (lambda a: ndimage.gaussian_filter(a, 1.5), lambda a: ndimage.uniform_filter(a, 3),
              lambda a: ndimage.median_filter(a, 3), ndimage.sobel, ndimage.laplace,
              lambda a: ndimage.zoom(a, 1.5, order=1), lambda a: ndimage.shift(a, (1.5, -0.5), order=1),
              lambda a: ndimage.rotate(a, 30, order=1), lambda a: ndimage.convolve(a, a[:3, :3]),
              lambda a: ndimage.maximum_filter(a, 3), ndimage.distance_transform_edt):
        c.compare(f, img)
    labels, _ = ndimage.label(img > 0.5)
    for f in (ndimage.sum_labels, ndimage.mean, ndimage.maximum, ndimage.center_of_mass):
        c.compare(f, img, labels, np.arange(1, 4))
    c.compare(lambda a: ndimage.label(a > 0.5), img)


@check
def cluster_vq(c):
    c.compare(vq.whiten, pts)
    code = pts[[0, 25]]
    c.compare(vq.vq, pts, code)
    c.compare(lambda p, k: vq.kmeans2(p, k, iter=5, minit="matrix"), pts, code)
    c.compare(lambda p, k: vq.kmeans(p, k, rng=0), pts, code)


@check
def integrate_and_misc(c):
    c.compare(integrate.trapezoid, x1)
    c.compare(lambda s: integrate.trapezoid(s, dx=0.5, axis=0), img)
    c.compare(lambda s: integrate.cumulative_trapezoid(s, initial=0), x1)
    c.compare(integrate.cumulative_simpson, x1)
    c.compare(lambda s: integrate.romb(s[:33]), x1)
    c.compare(lambda a, b: integrate.tanhsinh(lambda t: t * t, a, b).integral, u[0], pos[0])
    # a 0-d array as the one extra argument: SciPy wraps it in a tuple when np.iterable() says False
    c.compare(lambda a, b, k: integrate.tanhsinh(lambda t, k: k * t * t, a, b, args=k).integral, u[0], pos[0],
              np.asarray(3.0))
    c.compare(lambda x0, k: scipy.optimize.elementwise.bracket_root(lambda t, k: t ** 3 - k, x0, args=k).bracket[1],
              u[0], np.asarray(2.0))
    c.compare(scipy.linalg.block_diag, img[:2, :3], img[:3, :2])
    c.compare(lambda a, b: scipy.linalg.orthogonal_procrustes(a, b)[0], img[:, :3], img[:, 3:6])
    c.compare(scipy.optimize.rosen, pos.ravel())
    c.compare(scipy.optimize.rosen_der, pos.ravel())


@check
def grad_through_scipy(c):
    """grad of functions calling SciPy's namespace-generic code on traced MinArrays matches the analytic one."""
    try:
        from minpy_array.autodiff import grad
    except ImportError as e:
        raise AssertionError(f"minpy_array.autodiff.grad is not available: {e}") from e
    x = c.cast(rng.normal(size=(3, 4)))
    w = c.cast(rng.normal(size=(3, 4)))
    xm, wm = c.mine(x), c.mine(w)
    g = grad(lambda t: special.logsumexp(t))(xm)
    c.same(g, np.exp(x - special.logsumexp(x)))
    g = grad(lambda t: mp.sum(special.logsumexp(t * wm, axis=1) ** 2))(xm)
    lse = special.logsumexp(x * w, axis=1, keepdims=True)
    c.same(g, 2 * lse * np.exp(x * w - lse) * w)
    s = special.softmax(x, axis=0)
    g = grad(lambda t: mp.sum(special.softmax(t, axis=0) * wm))(xm)
    c.same(g, s * (w - np.sum(s * w, axis=0, keepdims=True)))


if __name__ == "__main__":
    main()
