/* The host fast paths of minpy_array in C: the same rules as the Python fast paths they stand in for (_dispatch.run,
 * _dispatch.apply, the face's functions, ufuncs and methods, __array_ufunc__, the array's operators, getitem and
 * setitem), for the calls those paths take (arrays on the cpu, under a policy that runs NumPy there; where the
 * Python path records a traced call on the tape, this one records it the same way).  Every other call goes to the
 * Python code it came from, unchanged: the Python paths stay the definition (tests/test_native.py holds the two to
 * the same outcomes), and the package runs without this module (_native.py).  Only the Python C API: no NumPy
 * headers (NumPy 1.26 and 2 alike).
 *
 * Why C: the Python fast paths cost 1-2.5 us over NumPy's own call on small operands, most of it Python frames
 * (one minimal Python wrapper costs about 0.7 us here), and the per-element code of the issue "NumPy's scalars and
 * the per-element hot path" asks for NumPy + 1 us. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <fenv.h>
#include <float.h>
#include <math.h>

/* ------------------------------------------------------------ what install() hands over */
static PyTypeObject *MinArray;          /* the Python class, a subclass of Base */
static PyObject *CPU, *ndarray_t, *generic_t, *policy_var, *global_d, *auto_cpu, *host, *host_counter,
    *default_device, *host_result, *lent_call, *here, *miss, *record_host, *np_kernels, *plain_key, *F64, *F32,
    *I64;
/* ... and for the device fast path (_dispatch._device_fast) */
static PyObject *in_place_ops, *prepare_l, *recorder_l, *plans, *device_plan, *rules, *numpy_backend, *dtypes_map,
    *count_fn, *device_result, *tls, *one, *dtype_slow;
/* ... and for the cpu's lent calls under auto (_calibrate.SEEN, _dispatch.LENT, _dispatch.lent_result) */
static PyObject *seen, *lent, *lent_result;
/* ... and for scaled arrays (numpy.empty_like, and numpy_ops' errstate_default, flag_operands, default_errstate) */
static PyObject *empty_like, *errstate_default, *flag_operands, *default_errstate;
static double F32_MAX;
static PyObject *s_auto, *s_numpy_only, *s_policy, *s_out, *s_size, *s_dtype, *s_ndim, *s_type, *s_kind,
    *s_itemsize, *s_where, *s_backend, *s_stats, *s_shape, *s_index, *s_sum, *s__device, *s_strides, *s___array__,
    *s_base, *s_nbytes, *kw_out, *buffer_types;

typedef struct {
    PyObject_HEAD
    PyObject *data, *device, *node, *face;
    PyObject *weakrefs;
    PyObject *source;  /* a scaled array's source buffer while its values are not computed (below), else NULL */
    double scale;
} Base;

#define IS_ARRAY(o) (Py_TYPE(o) == MinArray)
#define MAXARGS 8  /* the most arguments a fast path takes */
#define A(o) ((Base *)(o))

/* the tape's hooks for a traced call, and the array's dtype and shape getters (the tape section, below) */
static int prepared_as_is(PyObject *op, PyObject *t, PyObject *k);
static PyObject *record_traced(PyObject *op, PyObject *t, PyObject *k, PyObject *res);
static PyObject *dtype_of(PyObject *self, PyObject *a);
static PyObject *shape_of(PyObject *self, PyObject *a);
/* the recorder's and prepare's parts (autodiff/grad.py's _recorder, autodiff/containers.py's prepare): what
 * install_recorder() hands over */
static PyObject *py_recorder, *py_prepare, *vjps, *sequences, *ufunc_calls;

/* ------------------------------------------------------------ small helpers */

/* the policy in force, `_policy() or _global["policy"]` (a new reference; NULL, maybe with an error set, if none) */
static PyObject *current_policy(void) {
    PyObject *p = NULL;
    if (PyContextVar_Get(policy_var, NULL, &p) < 0) return NULL;
    if (p == NULL || p == Py_None) {
        Py_XDECREF(p);
        p = PyDict_GetItemWithError(global_d, s_policy);
        Py_XINCREF(p);
    }
    return p;
}

/* 1 under auto, 2 under numpy_only, 0 under another policy, -1 on error */
static int policy_kind(void) {
    PyObject *p = current_policy();
    if (p == NULL) return PyErr_Occurred() ? -1 : 0;
    int k = 0;
    if (p == s_auto) k = 1;
    else if (p == s_numpy_only) k = 2;
    else if (PyUnicode_Check(p)) {
        if (PyUnicode_Compare(p, s_auto) == 0) k = 1;
        else if (PyUnicode_Compare(p, s_numpy_only) == 0) k = 2;
        else if (PyErr_Occurred()) k = -1;
    }
    Py_DECREF(p);
    return k;
}

/* the op's settled size under auto (a new reference), NULL for none (NumPy runs every size), or -1 in *err */
static PyObject *limit_of(PyObject *op, int *err) {
    PyObject *l = PyDict_GetItemWithError(auto_cpu, op);
    if (l == NULL && PyErr_Occurred()) *err = 1;
    Py_XINCREF(l);
    return l;
}

/* is buffer d's size at least limit? 1, 0, -1 on error */
static int large(PyObject *d, PyObject *limit) {
    PyObject *n = PyObject_GetAttr(d, s_size);
    if (n == NULL) return -1;
    int r = PyObject_RichCompareBool(n, limit, Py_GE);
    Py_DECREF(n);
    return r;
}

static PyObject *wrap_new(PyObject *data, PyObject *device, PyObject *face) {
    Base *a = (Base *)MinArray->tp_alloc(MinArray, 0);
    if (a == NULL) return NULL;
    Py_INCREF(data); a->data = data;
    Py_INCREF(device); a->device = device;
    Py_INCREF(Py_None); a->node = Py_None;
    Py_INCREF(face); a->face = face;
    return (PyObject *)a;
}

/* next(HOST[op]) (the op's host counter, made through host_counter(op) on first use) */
static int count(PyObject *op) {
    PyObject *c = PyDict_GetItemWithError(host, op);
    if (c == NULL) {
        if (PyErr_Occurred()) return -1;
        c = PyObject_CallOneArg(host_counter, op);
        if (c == NULL) return -1;
    } else {
        Py_INCREF(c);
    }
    PyObject *n = Py_TYPE(c)->tp_iternext(c);
    Py_DECREF(c);
    if (n == NULL) return -1;
    Py_DECREF(n);
    return 0;
}

/* ------------------------------------------------------------ scaled arrays: `w -= c * g` in one pass
 * c * g, for a Python float 0 < |c| <= 1 and an untraced C-contiguous float32/64 array of SCALED_MIN values or
 * more whose buffer nothing else holds (no view, no other array, no NumPy reference), on the cpu under NumPy's
 * default errstate or on a device whose backend views its buffers as NumPy's (torch:cpu: host_view, sole), is an
 * array whose values are not computed yet: its buffer is allocated, its values are the source's times c.  There is
 * at most one such array, PENDING.  It settles before any kernel runs and whenever Python code reads an array's
 * buffer (_data): its values are computed then, as NumPy's multiply computes them, or it is dropped where nothing
 * else holds it.  Its source cannot change before: every way to its buffer passes there.  `w -= p` or `w += p`
 * (fused_in_place), for w an untraced array of p's device, dtype and shape, computes w - fl(c * g) in one pass over
 * w and g (two roundings, as NumPy's two ufuncs: no FMA contracts them).  On the cpu the floating-point flags of
 * each part are reported after it as NumPy's own ufunc reports them, by running it on operands that raise just
 * those flags (a device's kernels report none).  (With 0 < |c| <= 1 the product overflows never and is invalid only
 * for a signalling NaN: NumPy's warning for one comes after the update.) */
#define SCALED_MIN 4096
#define CHUNK 2048
#define BARRIER(p) __asm__ __volatile__("" : : "r"(p) : "memory")  /* (p's stores made, flags after) */
static PyObject *PENDING;
static Py_ssize_t scaled_made, scaled_fused, scaled_computed, scaled_dropped;  /* (scaled_counts()) */

/* the floating-point flags raised since the last call, cleared: 1 divide, 2 over, 4 under, 8 invalid */
static int fp_flags(void) {
    int e = fetestexcept(FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID);
    if (e) feclearexcept(FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID);
    return (e & FE_DIVBYZERO ? 1 : 0) | (e & FE_OVERFLOW ? 2 : 0) | (e & FE_UNDERFLOW ? 4 : 0) |
           (e & FE_INVALID ? 8 : 0);
}

/* scale: out = c * s.  fused: w + c * s (c negated for w - c * s: the same values and flags) in one pass, a block
 * at a time for the flags: where a block raised one, its product is computed again for the product's flags, and
 * the sum's are the rest (the product never overflows, |c| <= 1; a block whose product is invalid, a signalling NaN
 * in s, reports its sum's invalid values, an infinite w plus an infinite product of the other sign, with the
 * product's).  Both store what they compute before they read the flags (BARRIER), and the sum reads a rounded
 * product (no fused multiply-add). */
#define SCALED_LOOPS(T)                                                                                               \
    static int scale_##T(T *out, const T *s, T c, Py_ssize_t n) {                                                     \
        fp_flags();                                                                                                   \
        for (Py_ssize_t i = 0; i < n; i++) out[i] = c * s[i];                                                         \
        BARRIER(out);                                                                                                 \
        return fp_flags();                                                                                            \
    }                                                                                                                 \
    __attribute__((optimize("fp-contract=off")))                                                                      \
    static void fused_##T(T *restrict w, const T *restrict s, T c, Py_ssize_t n, int *fm, int *fw) {                  \
        T t[CHUNK];                                                                                                   \
        fp_flags();                                                                                                   \
        for (Py_ssize_t i = 0; i < n; i += CHUNK) {                                                                   \
            Py_ssize_t m = n - i < CHUNK ? n - i : CHUNK;                                                             \
            T *y = w + i;                                                                                             \
            const T *x = s + i;                                                                                       \
            for (Py_ssize_t j = 0; j < m; j++) y[j] = y[j] + c * x[j];                                                \
            BARRIER(y);                                                                                               \
            int f = fp_flags();                                                                                       \
            if (f) {                                                                                                  \
                for (Py_ssize_t j = 0; j < m; j++) t[j] = c * x[j];                                                   \
                BARRIER(t);                                                                                           \
                int p = fp_flags();                                                                                   \
                *fm |= p;                                                                                             \
                *fw |= f & ~p;                                                                                        \
            }                                                                                                         \
        }                                                                                                             \
    }
SCALED_LOOPS(float)
SCALED_LOOPS(double)

/* is NumPy's errstate its default (divide, over and invalid warn, under ignored)? 1, 0, -1 on error */
static int default_fp(void) {
    PyObject *r = PyObject_CallNoArgs(errstate_default);
    int d = r != NULL ? PyObject_IsTrue(r) : -1;
    Py_XDECREF(r);
    return d;
}

/* NumPy's report of the flags its ufunc `name` raised on a buffer of dtype `dt` (its warning, or its error under
 * another errstate), made by the ufunc itself; under the default errstate where `late` (a settled array's) */
static int report(const char *name, PyObject *dt, int flags, int late) {
    flags &= ~4;  /* (the default errstate ignores underflow) */
    if (!flags) return 0;
    PyObject *n = PyUnicode_FromString(name), *f = PyLong_FromLong(flags), *ops = NULL, *r = NULL;
    if (n != NULL && f != NULL) {
        PyObject *argv[3] = {n, f, dt};
        ops = PyObject_Vectorcall(flag_operands, argv, 3, NULL);
    }
    if (ops != NULL && PyTuple_CheckExact(ops) && PyTuple_GET_SIZE(ops) == 3) {
        int d = late ? default_fp() : 1;
        if (d > 0) r = PyObject_Vectorcall(PyTuple_GET_ITEM(ops, 0), &PyTuple_GET_ITEM(ops, 1), 2, NULL);
        else if (d == 0) r = PyObject_Vectorcall(default_errstate, &PyTuple_GET_ITEM(ops, 0), 3, NULL);
    } else if (ops != NULL) {
        PyErr_SetString(PyExc_TypeError, "flag_operands returns (ufunc, a, b)");
    }
    Py_XDECREF(n);
    Py_XDECREF(f);
    Py_XDECREF(ops);
    Py_XDECREF(r);
    return r != NULL ? 0 : -1;
}

static char float_format(Py_buffer *v, int *complex);
static PyObject *plan_of(PyObject *b);
static int takes_kernels(PyObject *b);
static int count_run(PyObject *op, PyObject *col);

/* the plan of device dev's backend (borrowed; `policy`: only where the policy in force takes its kernels), or NULL
 * (maybe with an error set) */
static PyObject *plan_for(PyObject *dev, int policy) {
    PyObject *b = PyObject_GetAttr(dev, s_backend);
    if (b == NULL) return NULL;
    int t = policy ? takes_kernels(b) : 1;
    PyObject *plan = t > 0 ? plan_of(b) : NULL;
    Py_DECREF(b);
    return plan;
}

/* a buffer as NumPy's (a new reference): the cpu's own (plan NULL), a device's host_view(buf) from its backend's
 * plan, or NULL (maybe with an error set) where it has none */
static PyObject *host_view(PyObject *plan, PyObject *buf) {
    if (plan == NULL) {
        Py_INCREF(buf);
        return buf;
    }
    PyObject *v = PyObject_CallOneArg(PyTuple_GET_ITEM(plan, 6), buf);
    if (v == Py_None || (v != NULL && Py_TYPE(v) != (PyTypeObject *)ndarray_t)) Py_CLEAR(v);
    return v;
}

/* count a run of op: the cpu's host counter (plan NULL), a device's column in its plan; 0, -1 on error */
static int count_in(PyObject *plan, PyObject *op) {
    return plan == NULL ? count(op) : count_run(op, PyTuple_GET_ITEM(plan, 3));
}

/* the C-contiguous views of an array's buffer (writeable) and of its source, of one float format; 'f', 'd', or 0
 * where they are not (no error then) */
static char scaled_views(PyObject *dst, PyObject *src, Py_buffer *w, Py_buffer *s) {
    if (PyObject_GetBuffer(dst, w, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 0;
    }
    if (PyObject_GetBuffer(src, s, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        PyBuffer_Release(w);
        return 0;
    }
    int cx = 0, cy = 0;
    char f = float_format(w, &cx);
    int same = f != 0 && f != 'e' && !cx && float_format(s, &cy) == f && !cy && w->ndim == s->ndim;
    for (int i = 0; same && i < w->ndim; i++) same = w->shape[i] == s->shape[i];
    if (!same) {
        PyBuffer_Release(w);
        PyBuffer_Release(s);
        return 0;
    }
    return f;
}

/* compute a scaled array's values into its buffer (it stops being one), reporting the multiply's flags */
static int fill(Base *q) {
    Py_buffer w, s;
    PyObject *src = q->source;
    q->source = NULL;
    /* (its backend's views, whatever the policy now) */
    PyObject *plan = q->device == CPU ? NULL : plan_for(q->device, 0);
    PyObject *dv = q->device == CPU || plan != NULL ? host_view(plan, q->data) : NULL;
    PyObject *sv = dv != NULL ? host_view(plan, src) : NULL;
    char f = sv != NULL ? scaled_views(dv, sv, &w, &s) : 0;
    int flags = 0;
    if (f == 'f') flags = scale_float(w.buf, s.buf, (float)q->scale, w.len / w.itemsize);
    else if (f == 'd') flags = scale_double(w.buf, s.buf, q->scale, w.len / w.itemsize);
    if (f) {
        PyBuffer_Release(&w);
        PyBuffer_Release(&s);
    }
    Py_DECREF(src);
    Py_XDECREF(dv);
    Py_XDECREF(sv);
    if (!f) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "a scaled array's buffers have no host view");
        return -1;
    }
    if (q->device != CPU) return 0;
    PyObject *dt = PyObject_GetAttr(q->data, s_dtype);
    int r = dt != NULL ? report("multiply", dt, flags, 1) : -1;
    Py_XDECREF(dt);
    return r;
}

/* settle PENDING: 0, or -1 with NumPy's report of the multiply raised */
static int settle(void) {
    while (PENDING != NULL) {
        PyObject *p = PENDING;
        PENDING = NULL;
        Base *q = A(p);
        int r = 0;
        if (q->source != NULL) {
            if (Py_REFCNT(p) > 1 || Py_REFCNT(q->data) > 1) {
                scaled_computed++;
                r = fill(q);
            } else {
                scaled_dropped++;
                Py_CLEAR(q->source);  /* (nothing can read its values) */
            }
        }
        Py_DECREF(p);
        if (r < 0) return -1;
    }
    return 0;
}
#define SETTLE(FAIL) do { if (PENDING != NULL && settle() < 0) { FAIL; } } while (0)

/* is v a C-contiguous native float32/64 ndarray of SCALED_MIN values or more? */
static int scalable(PyObject *v) {
    Py_buffer b;
    if (Py_TYPE(v) != (PyTypeObject *)ndarray_t || PyObject_GetBuffer(v, &b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return 0;
    }
    int cx = 0;
    char f = float_format(&b, &cx);
    int ok = (f == 'f' || f == 'd') && !cx && b.len / b.itemsize >= SCALED_MIN;
    PyBuffer_Release(&b);
    return ok;
}

/* may x's buffer d, held by x and the caller's `held` references, be a scaled array's source (plan: its device's,
 * NULL on the cpu)?  Its host view (a new reference), or NULL (maybe with an error set) */
static PyObject *scaled_source(Base *x, Py_ssize_t held, PyObject *plan) {
    PyObject *d = x->data;
    if (Py_REFCNT(d) != 1 + held) return NULL;
    if (plan == NULL) {
        if (!scalable(d)) return NULL;
        PyObject *base = PyObject_GetAttr(d, s_base);
        int own = base == Py_None;
        Py_XDECREF(base);
        if (!own || default_fp() <= 0) return NULL;
        Py_INCREF(d);
        return d;
    }
    /* (first its byte count, where the buffer has one: most c * x are of small arrays, and the backend's calls below
     * are Python's; under 4 bytes a value, it holds fewer than SCALED_MIN float32 or float64 values) */
    PyObject *nb = PyObject_GetAttr(d, s_nbytes);
    Py_ssize_t n = nb != NULL && PyLong_Check(nb) ? PyLong_AsSsize_t(nb) : -1;
    Py_XDECREF(nb);
    if (n == -1) PyErr_Clear();
    else if (n < SCALED_MIN * 4) return NULL;
    PyObject *sole = PyObject_CallOneArg(PyTuple_GET_ITEM(plan, 7), d);
    int ok = sole != NULL ? PyObject_IsTrue(sole) : -1;
    Py_XDECREF(sole);
    PyObject *v = ok > 0 ? host_view(plan, d) : NULL;
    if (v != NULL && !scalable(v)) Py_CLEAR(v);
    return v;
}

/* c * x as a scaled array, counted as op, or NULL: with an error set (the settling of another, the count), or none
 * where the product is computed now; `held`: the references to x's buffer the caller holds */
static PyObject *scaled_new(PyObject *op, PyObject *self, PyObject *other, PyObject *face, Py_ssize_t held) {
    if (!PyFloat_CheckExact(other) || empty_like == NULL) return NULL;
    double c = PyFloat_AS_DOUBLE(other);
    Base *x = A(self);
    if (!(c != 0 && fabs(c) <= 1) || x->node != Py_None) return NULL;
    PyObject *plan = x->device == CPU ? NULL : plan_for(x->device, 1);
    if (x->device != CPU && plan == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *d = x->data, *p = NULL;
    Py_INCREF(d);
    PyObject *v = scaled_source(x, held + 1, plan);
    if (v != NULL) {
        Py_DECREF(v);  /* (a device's view holds its buffer) */
        PyObject *buf = PyObject_CallOneArg(plan != NULL ? PyTuple_GET_ITEM(plan, 8) : empty_like, d);
        if (buf != NULL) p = wrap_new(buf, x->device, face);
        Py_XDECREF(buf);
    }
    PyErr_Clear();  /* (none of the above raises where the product computed now would not: it answers) */
    if (p != NULL && settle() < 0) {  /* (another thread's, made while Python code ran above) */
        Py_DECREF(p);
        Py_DECREF(d);
        return NULL;
    }
    /* (Python code ran above: another thread may have reached the buffer since) */
    if (p == NULL || x->data != d || Py_REFCNT(d) != 2 + held) {
        Py_XDECREF(p);
        Py_DECREF(d);
        return NULL;
    }
    A(p)->source = d;  /* (the reference taken above) */
    A(p)->scale = c;
    Py_INCREF(p);
    PENDING = p;
    scaled_made++;
    if (count_in(plan, op) < 0) Py_CLEAR(p);
    return p;
}

/* v -= p or v += p for the scaled array p (PENDING), counted: 1 done, 0 where the in-place kernel answers, -1 on
 * error */
static int fused_in_place(PyObject *op, int sub, PyObject *v, PyObject *p) {
    Base *x = A(v), *q = A(p);
    if (v == p || x->node != Py_None || x->device != q->device) return 0;
    PyObject *dev = x->device, *buf = x->data;
    if (buf == NULL || buf == q->source || buf == q->data) return 0;
    Py_INCREF(buf);
    int ok = 1;
    PyObject *plan = NULL;
    if (dev == CPU) {
        ok = Py_TYPE(buf) == (PyTypeObject *)ndarray_t ? default_fp() : 0;
    } else {  /* (a broadcast view is read-only, as NumPy's) */
        plan = plan_for(dev, 1);
        PyObject *wr = plan != NULL ? PyObject_CallOneArg(PyTuple_GET_ITEM(plan, 5), buf) : NULL;
        ok = wr != NULL ? PyObject_IsTrue(wr) : (PyErr_Occurred() ? -1 : 0);
        Py_XDECREF(wr);
    }
    PyObject *wv = ok > 0 ? host_view(plan, buf) : NULL, *sv = NULL;
    /* (Python code ran above: p may have settled since, in another thread) */
    if (wv != NULL && PENDING == p && q->source != NULL) sv = host_view(plan, q->source);
    Py_buffer w, s;
    char f = sv != NULL ? scaled_views(wv, sv, &w, &s) : 0;
    Py_XDECREF(wv);
    Py_XDECREF(sv);
    if (!f || PENDING != p || q->source == NULL) {
        if (f) {
            PyBuffer_Release(&w);
            PyBuffer_Release(&s);
        }
        Py_DECREF(buf);
        if (ok < 0) return -1;
        PyErr_Clear();  /* (the in-place kernel answers, and raises where it must) */
        return 0;
    }
    int fm = 0, fw = 0;
    double c = sub ? -q->scale : q->scale;
    if (f == 'f') fused_float(w.buf, s.buf, (float)c, w.len / w.itemsize, &fm, &fw);
    else fused_double(w.buf, s.buf, c, w.len / w.itemsize, &fm, &fw);
    PyBuffer_Release(&w);
    PyBuffer_Release(&s);
    scaled_fused++;
    int r = count_in(plan, op) == 0;
    if (r && dev == CPU) {
        PyObject *dt = PyObject_GetAttr(buf, s_dtype);
        r = dt != NULL && report("multiply", dt, fm, 0) == 0 && report(sub ? "subtract" : "add", dt, fw, 0) == 0;
        Py_XDECREF(dt);
    }
    Py_DECREF(buf);
    return r ? 1 : -1;
}

/* host_result(r, face), stealing r: an ndarray wrapped, a NumPy scalar as it is for the NumPy face, else Python's */
static PyObject *finish(PyObject *r, PyObject *face) {
    if (r == NULL) return NULL;
    if (Py_TYPE(r) == (PyTypeObject *)ndarray_t) {
        PyObject *a = wrap_new(r, CPU, face);
        Py_DECREF(r);
        return a;
    }
    if (face == Py_True && PyObject_TypeCheck(r, (PyTypeObject *)generic_t)) return r;
    PyObject *a = PyObject_CallFunctionObjArgs(host_result, r, face, NULL);
    Py_DECREF(r);
    return a;
}

/* record_host(op, args, kw, r, face), stealing r: a traced call's NumPy result, recorded on the tape */
static PyObject *record(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, PyObject *r,
                        PyObject *face) {
    PyObject *t = PyTuple_New(nargs);
    PyObject *k = kw != NULL ? (Py_INCREF(kw), kw) : PyDict_New();
    PyObject *out = NULL;
    if (t != NULL && k != NULL) {
        for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(t, i, args[i]); }
        if (Py_TYPE(r) == (PyTypeObject *)ndarray_t) {  /* (record_host's first case) */
            PyObject *a = wrap_new(r, CPU, face);
            out = a != NULL ? record_traced(op, t, k, a) : NULL;
            Py_XDECREF(a);
        } else if (PyObject_TypeCheck(r, (PyTypeObject *)generic_t)) {  /* (_dispatch._record's first case) */
            PyObject *d = PyObject_CallMethodNoArgs(r, s___array__);
            PyObject *a = d != NULL ? wrap_new(d, CPU, face) : NULL;
            Py_XDECREF(d);
            out = a != NULL ? record_traced(op, t, k, a) : NULL;
            if (out == a && face == Py_True) {  /* (recorded nowhere: the NumPy scalar, on the NumPy face) */
                Py_SETREF(out, r);
                Py_INCREF(r);
            }
            Py_XDECREF(a);
        } else {
            PyObject *argv[5] = {op, t, k, r, face};
            out = PyObject_Vectorcall(record_host, argv, 5, NULL);
        }
    }
    Py_XDECREF(t);
    Py_XDECREF(k);
    Py_DECREF(r);
    return out;
}

/* ------------------------------------------------------------ the device fast path
 * device_call: _dispatch._device_fast, step by step (the Python function stays the definition): a call of arrays on
 * one accelerator device (traced or not), plain sequences and plain keywords, under a policy that takes that device's
 * kernels, run by the device backend's kernel where its guard admits the call.  NULL with no error set where the
 * Python path answers (it tries _device_fast again, then the engine's general path); NULL with an error set where
 * _device_fast raises (a guard's or the recorder's error, a kernel's error that is not the backend's own). */

/* does the policy in force take backend b's kernels on b's devices (_dispatch._takes_device_kernels)? 1, 0, -1 */
static int takes_kernels(PyObject *b) {
    PyObject *p = current_policy();
    if (p == NULL) return PyErr_Occurred() ? -1 : 0;
    PyObject *rule = PyDict_GetItemWithError(rules, p);
    Py_DECREF(p);
    if (rule == NULL || !PyTuple_Check(rule) || PyTuple_GET_SIZE(rule) != 2) return PyErr_Occurred() ? -1 : 0;
    PyObject *want = PyTuple_GET_ITEM(rule, 0);
    if (want == numpy_backend) return 0;
    int only = PyObject_IsTrue(PyTuple_GET_ITEM(rule, 1));
    if (only < 0) return -1;
    return !(only && want != b);
}

/* is r one of the backend's buffers?  The plan's is_buffer(r), memoised per backend and type (an isinstance test) */
static int is_buffer(PyObject *test, PyObject *r) {
    PyObject *memo = PyDict_GetItemWithError(buffer_types, test);
    if (memo == NULL) {  /* (made once and never replaced, so the borrowed reference stays good) */
        if (PyErr_Occurred()) return -1;
        PyObject *fresh = PyDict_New();
        if (fresh == NULL) return -1;
        memo = PyDict_SetDefault(buffer_types, test, fresh);
        Py_DECREF(fresh);
        if (memo == NULL) return -1;
    }
    PyObject *known = PyDict_GetItemWithError(memo, (PyObject *)Py_TYPE(r));
    if (known != NULL) return known == Py_True;
    if (PyErr_Occurred()) return -1;
    PyObject *v = PyObject_CallOneArg(test, r);
    if (v == NULL) return -1;
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    if (t >= 0 && PyDict_SetItem(memo, (PyObject *)Py_TYPE(r), t ? Py_True : Py_False) < 0) return -1;
    return t;
}

/* backend b's plan (_dispatch.device_plan: table, errors, is_buffer, column, in-place table, writeable, host_view,
 * sole, empty_like), borrowed
 * from _dispatch.PLANS, which never replaces a plan; NULL (maybe with an error set) where there is none */
static PyObject *plan_of(PyObject *b) {
    PyObject *plan = PyDict_GetItemWithError(plans, b);
    if (plan == NULL) {
        if (PyErr_Occurred()) return NULL;
        plan = PyObject_CallOneArg(device_plan, b);  /* (it keeps the plan in PLANS) */
        if (plan == NULL) return NULL;
        Py_DECREF(plan);
        plan = PyDict_GetItemWithError(plans, b);
        if (plan == NULL) return NULL;
    }
    return PyTuple_Check(plan) && PyTuple_GET_SIZE(plan) == 9 ? plan : NULL;
}

/* this thread's op_stats table (_tls.stats, a borrowed reference) or NULL without an error set where the thread has
 * none yet: read once per thread from _tls (a threading.local's lookup costs ~0.4 us) and kept in the thread state's
 * dict, keyed by _tls itself (_dispatch never replaces a thread's table, reset_op_stats clears it) */
static PyObject *thread_stats(void) {
    PyObject *td = PyThreadState_GetDict();
    if (td == NULL) return NULL;
    PyObject *s = PyDict_GetItemWithError(td, tls);
    if (s != NULL || PyErr_Occurred()) return s;
    s = PyObject_GetAttr(tls, s_stats);
    if (s == NULL) return NULL;
    int e = PyDict_CheckExact(s) ? PyDict_SetItem(td, tls, s) : 0;
    Py_DECREF(s);  /* (the thread state's dict and _dispatch._all_stats hold it) */
    return e < 0 || !PyDict_CheckExact(s) ? NULL : s;
}

/* _dispatch._count(op, col) of a device kernel's run: a row of this thread's op_stats table counted here where it
 * exists, else by the Python function (which makes it).  0, -1 on error */
static int count_run(PyObject *op, PyObject *col) {
    PyObject *s = thread_stats();
    PyObject *row = s != NULL ? PyDict_GetItemWithError(s, op) : NULL;
    Py_ssize_t i = PyLong_AsSsize_t(col);
    if (row != NULL && PyList_CheckExact(row) && i >= 0 && i < PyList_GET_SIZE(row)) {
        PyObject *n = PyNumber_Add(PyList_GET_ITEM(row, i), one);
        if (n == NULL) return -1;
        PyList_SetItem(row, i, n);  /* (steals n) */
        return 0;
    }
    PyErr_Clear();
    PyObject *argv[2] = {op, col};
    PyObject *c = PyObject_Vectorcall(count_fn, argv, 2, NULL);
    if (c == NULL) return -1;
    Py_DECREF(c);
    return 0;
}

/* The verdicts of guards that read a call only through its signature (_guards.by_signature): the arrays' devices,
 * dtypes and shapes, the other arguments' types and values.  A key holds the guard, then per argument an array's
 * (device kind, device index, its buffer's dtype, shape) or another value's (type, value), then each keyword's
 * (name, type, value); a call with any other value (a list, a tuple of non-ints, an array inside a sequence, a
 * NumPy scalar, NaN) has no key and asks its guard.  A float zero is keyed by its sign (0.0 == -0.0 otherwise). */
#define VERDICTS_MAX 4096  /* (cleared when full: keys of many shapes or values) */
#define KEY_MAX 32
static PyObject *by_signature, *verdicts, *key_types, *pos_zero, *neg_zero, *last_device, *last_kind, *last_index;

/* append the attributes names[0..k) of o to items[*n..] (new references): 1, or -1 with none of them appended */
static int attrs_into(PyObject *o, PyObject *const *names, int k, PyObject **items, int *n) {
    for (int i = 0; i < k; i++) {
        PyObject *v = PyObject_GetAttr(o, names[i]);
        if (v == NULL) {
            while (i--) Py_DECREF(items[--*n]);
            return -1;
        }
        items[(*n)++] = v;
    }
    return 1;
}

/* append value a's key items to items[*n..] (new references); 1, 0 where it has no key, -1 on error (the items
 * appended so far are the caller's to release) */
static int key_items(PyObject *a, PyObject **items, int *n) {
    PyTypeObject *t = Py_TYPE(a);
    if (*n + 4 > KEY_MAX) return 0;
    if (t == MinArray) {
        /* (the device's kind and index: Device.__hash__ is Python code; the last device's kept, as devices are
         * interned and their fields never change) */
        PyObject *dev = A(a)->device, *kind, *index;
        if (dev == last_device) {
            kind = (Py_INCREF(last_kind), last_kind);
            index = (Py_INCREF(last_index), last_index);
        } else {
            kind = PyObject_GetAttr(dev, s_kind);
            index = PyObject_GetAttr(dev, s_index);
            if (kind != NULL && index != NULL) {
                Py_INCREF(dev);
                Py_XSETREF(last_device, dev);
                Py_INCREF(kind);
                Py_XSETREF(last_kind, kind);
                Py_INCREF(index);
                Py_XSETREF(last_index, index);
            }
        }
        if (kind == NULL || index == NULL) {
            Py_XDECREF(kind);
            Py_XDECREF(index);
            return -1;
        }
        items[(*n)++] = kind;
        items[(*n)++] = index;
        PyObject *names[2] = {s_dtype, s_shape};  /* (the buffer's own dtype: one per array dtype) */
        return attrs_into(A(a)->data, names, 2, items, n);
    }
    PyObject *v = a;
    if (t == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(a);
        if (d != d) return 0;
        if (d == 0) v = copysign(1.0, d) < 0 ? neg_zero : pos_zero;
    } else if (t == &PyTuple_Type) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(a); i++)
            if (!PyLong_CheckExact(PyTuple_GET_ITEM(a, i))) return 0;
    } else if (!(t == &PyLong_Type || t == &PyBool_Type || a == Py_None || t == &PyUnicode_Type ||
                 PyType_IsSubtype(t, (PyTypeObject *)PyTuple_GET_ITEM(key_types, 0)) ||
                 PyType_IsSubtype(t, (PyTypeObject *)PyTuple_GET_ITEM(key_types, 1)))) {
        return 0;
    }
    Py_INCREF(t);
    Py_INCREF(v);
    items[(*n)++] = (PyObject *)t;
    items[(*n)++] = v;
    return 1;
}

/* the verdict key of guard(.., t, k): a new reference, NULL with no error set where the call has none */
static PyObject *verdict_key(PyObject *guard, PyObject *t, PyObject *k) {
    PyObject *items[KEY_MAX];
    int n = 0, ok = 1;
    items[n++] = (Py_INCREF(guard), guard);
    for (Py_ssize_t i = 0; ok == 1 && i < PyTuple_GET_SIZE(t); i++) ok = key_items(PyTuple_GET_ITEM(t, i), items, &n);
    Py_ssize_t pos = 0;
    PyObject *name, *v;
    while (ok == 1 && k != NULL && PyDict_Next(k, &pos, &name, &v)) {
        if (n + 5 > KEY_MAX) { ok = 0; break; }
        items[n++] = (Py_INCREF(name), name);
        ok = key_items(v, items, &n);
    }
    PyObject *key = ok == 1 ? PyTuple_New(n) : NULL;
    for (int i = 0; i < n; i++) {
        if (key != NULL) PyTuple_SET_ITEM(key, i, items[i]);  /* (steals) */
        else Py_DECREF(items[i]);
    }
    return key;
}

/* guard(dtypes of the arrays in args, args, kw), uncached: 1, 0, -1 on error */
static int guard_call(PyObject *guard, PyObject *t, PyObject *k) {
    PyObject *dts = PyList_New(0);
    if (dts == NULL) return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        if (!IS_ARRAY(PyTuple_GET_ITEM(t, i))) continue;
        PyObject *dt = dtype_of(NULL, PyTuple_GET_ITEM(t, i));
        int e = dt != NULL ? PyList_Append(dts, dt) : -1;
        Py_XDECREF(dt);
        if (e < 0) { Py_DECREF(dts); return -1; }
    }
    PyObject *argv[3] = {dts, t, k};
    PyObject *ok = PyObject_Vectorcall(guard, argv, 3, NULL);
    Py_DECREF(dts);
    int admitted = ok != NULL ? PyObject_IsTrue(ok) : -1;
    Py_XDECREF(ok);
    return admitted;
}

/* does the kernel's guard admit the call: guard(dtypes of the arrays in args, args, kw), its verdict remembered
 * where the guard reads only the call's signature?  1, 0, -1 on error (an error is never remembered) */
static int guard_admits(PyObject *guard, PyObject *t, PyObject *k) {
    int sig = by_signature != NULL ? PySet_Contains(by_signature, guard) : 0;
    if (sig <= 0) return sig < 0 ? -1 : guard_call(guard, t, k);
    PyObject *key = verdict_key(guard, t, k);
    if (key == NULL) return PyErr_Occurred() ? -1 : guard_call(guard, t, k);
    PyObject *known = PyDict_GetItemWithError(verdicts, key);
    if (known != NULL || PyErr_Occurred()) {
        Py_DECREF(key);
        return known == NULL ? -1 : known == Py_True;
    }
    int admitted = guard_call(guard, t, k);
    if (admitted >= 0) {
        if (PyDict_GET_SIZE(verdicts) >= VERDICTS_MAX) PyDict_Clear(verdicts);
        if (PyDict_SetItem(verdicts, key, admitted ? Py_True : Py_False) < 0) admitted = -1;
    }
    Py_DECREF(key);
    return admitted;
}

/* ------------------------------------------------------------ the cpu's lent calls under auto
 * A host call with an array of its op's settled size or more whose kind calibration has already placed: the
 * placement read from _calibrate.SEEN under _calibrate._shape_key's key, and a lent call run as _dispatch._lent runs
 * it with the kernel _lent found (_dispatch.LENT).  Anything else (keywords, an argument _shape_key would key
 * otherwise, a kind not seen yet, a kernel not found yet) goes to the Python functions, which stay the definition. */

/* append _calibrate._key_add's items of a to items[*n..] (new references): 1, 0 where this does not key it, -1 on
 * error (the items appended so far are the caller's to release) */
static int lent_key_items(PyObject *a, PyObject **items, int *n, int depth) {
    PyTypeObject *t = Py_TYPE(a);
    if (*n + 3 > KEY_MAX) return 0;
    if (t == MinArray) {
        PyObject *d = A(a)->data;
        /* (placement leaves another buffer to NumPy; an array in a sequence is unwrapped by the Python path) */
        if (depth || Py_TYPE(d) != (PyTypeObject *)ndarray_t) return 0;
        PyObject *names[3] = {s_dtype, s_shape, s_strides};
        return attrs_into(d, names, 3, items, n);
    }
    if (t == &PyFloat_Type) {
        items[(*n)++] = (Py_INCREF(t), (PyObject *)t);
        return 1;
    }
    if (t == &PyLong_Type || t == &PyBool_Type || a == Py_None) {
        items[(*n)++] = (Py_INCREF(t), (PyObject *)t);
        items[(*n)++] = (Py_INCREF(a), a);
        return 1;
    }
    if ((t == &PyTuple_Type || t == &PyList_Type) && depth == 0) {
        Py_ssize_t len = PySequence_Fast_GET_SIZE(a);
        PyObject **e = PySequence_Fast_ITEMS(a);
        PyObject *l = PyLong_FromSsize_t(len);
        if (l == NULL) return -1;
        items[(*n)++] = (Py_INCREF(t), (PyObject *)t);
        items[(*n)++] = l;
        for (Py_ssize_t i = 0; i < len; i++) {
            int ok = lent_key_items(e[i], items, n, 1);
            if (ok <= 0) return ok;
        }
        return 1;
    }
    if (t == (PyTypeObject *)PyTuple_GET_ITEM(key_types, 1) || t == (PyTypeObject *)PyTuple_GET_ITEM(key_types, 0) ||
        t == &PyUnicode_Type) {
        items[(*n)++] = (Py_INCREF(a), a);
        return 1;
    }
    return 0;
}

/* 0: NumPy runs the call; 1: *out is the lent kernel's result (or NULL with an error: the kernel's own); 2: the
 * engine's general path answers (_dispatch._MISS); 3: the Python functions answer; -1 on error */
static int lent_known(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *face, int traced,
                      PyObject **out) {
    PyObject *items[KEY_MAX];
    int n = 0, ok = 1;
    items[n++] = (Py_INCREF(op), op);
    for (Py_ssize_t i = 0; ok == 1 && i < nargs; i++) ok = lent_key_items(args[i], items, &n, 0);
    PyObject *key = ok == 1 ? PyTuple_New(n) : NULL;
    for (int i = 0; i < n; i++) {
        if (key != NULL) PyTuple_SET_ITEM(key, i, items[i]);  /* (steals) */
        else Py_DECREF(items[i]);
    }
    if (key == NULL) return ok < 0 || PyErr_Occurred() ? -1 : 3;
    PyObject *b = PyDict_GetItemWithError(seen, key);
    Py_DECREF(key);
    if (b == NULL) return PyErr_Occurred() ? -1 : 3;
    if (b == Py_None) return 0;
    PyObject *row = PyDict_GetItemWithError(lent, op);
    PyObject *found = row != NULL && PyDict_CheckExact(row) ? PyDict_GetItemWithError(row, b) : NULL;
    if (found == NULL || !PyTuple_CheckExact(found) || PyTuple_GET_SIZE(found) != 4 ||
        !PyDict_CheckExact(PyTuple_GET_ITEM(found, 0)))
        return PyErr_Occurred() ? -1 : 3;
    PyObject *now = PyDict_GetItemWithError(PyTuple_GET_ITEM(found, 0), op);
    PyObject *kernel = PyTuple_GET_ITEM(found, 1);
    if (now != kernel || !PyTuple_CheckExact(kernel) || PyTuple_GET_SIZE(kernel) != 2)
        return PyErr_Occurred() ? -1 : 3;  /* (the table changed since: the Python path looks again) */
    Py_INCREF(found);  /* (Python code runs below) */
    PyObject *t = PyTuple_New(nargs), *k = PyDict_New(), *r = NULL;
    int done = -1;
    if (t == NULL || k == NULL) goto out;
    for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(t, i, args[i]); }
    int admitted = guard_admits(PyTuple_GET_ITEM(kernel, 1), t, k);
    if (admitted <= 0) {
        done = admitted < 0 ? -1 : 2;
        goto out;
    }
    SETTLE(goto out);
    PyObject *bufs[MAXARGS];
    for (Py_ssize_t i = 0; i < nargs; i++) bufs[i] = IS_ARRAY(args[i]) ? A(args[i])->data : args[i];
    r = PyObject_Vectorcall(PyTuple_GET_ITEM(kernel, 0), bufs, nargs, NULL);  /* (t holds the arrays) */
    if (r == NULL) {
        if (PyErr_ExceptionMatches(PyTuple_GET_ITEM(found, 3))) {
            PyErr_Clear();
            done = 2;
        }
        goto out;
    }
    if (count_run(op, PyTuple_GET_ITEM(found, 2)) < 0) goto out;
    done = 1;
    int shaped = 0;  /* (an array of one or more dimensions) */
    if (Py_TYPE(r) == (PyTypeObject *)ndarray_t) {
        PyObject *nd = PyObject_GetAttr(r, s_ndim);
        shaped = nd != NULL ? PyObject_IsTrue(nd) : -1;
        Py_XDECREF(nd);
        if (shaped < 0) { done = -1; goto out; }
    }
    if (shaped) {
        PyObject *a = wrap_new(r, CPU, face);
        *out = a == NULL || !traced ? a : record_traced(op, t, k, a);
        if (traced) Py_XDECREF(a);
    } else {
        PyObject *argv[6] = {op, t, k, face, r, traced ? Py_True : Py_False};
        *out = PyObject_Vectorcall(lent_result, argv, 6, NULL);
    }
out:
    Py_DECREF(found);
    Py_XDECREF(t);
    Py_XDECREF(k);
    Py_XDECREF(r);
    return done;
}

/* scaled_counts(): how many scaled arrays were made, and how many of them were fused into an in-place add or
 * subtract, computed, or dropped unread (for the tests) */
static PyObject *scaled_counts(PyObject *self, PyObject *unused) {
    return Py_BuildValue("{snsnsnsn}", "made", scaled_made, "fused", scaled_fused, "computed", scaled_computed,
                         "dropped", scaled_dropped);
}

/* admits(guard, args, kw): guard_admits, for the Python paths and the tests */
static PyObject *admits(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyTuple_CheckExact(args[1]) || !PyDict_CheckExact(args[2]))
        return PyErr_Format(PyExc_TypeError, "admits(guard, args: tuple, kw: dict)");
    int a = guard_admits(args[0], args[1], args[2]);
    return a < 0 ? NULL : PyBool_FromLong(a);
}

static PyObject *device_call(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kw, PyObject *face) {
    if (MinArray == NULL || plans == NULL || nargs > MAXARGS) return NULL;
    SETTLE(return NULL);
    PyObject *dev = NULL;
    int traced = 0, spec = 0;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *a = args[i];
        if (IS_ARRAY(a)) {
            Base *x = A(a);
            if (x->node != Py_None) traced = 1;
            if (dev == NULL) dev = x->device;
            else if (x->device != dev) return NULL;
            if (x->face != Py_True) spec = 1;
        } else if (PyList_CheckExact(a) || PyTuple_CheckExact(a)) {
            Py_ssize_t n = PySequence_Fast_GET_SIZE(a);
            PyObject **items = PySequence_Fast_ITEMS(a);
            for (Py_ssize_t j = 0; j < n; j++)
                if (IS_ARRAY(items[j]) || PyList_CheckExact(items[j]) || PyTuple_CheckExact(items[j])) return NULL;
        }
    }
    if (dev == NULL || dev == CPU) return NULL;
    int has_kw = kw != NULL && PyDict_GET_SIZE(kw);
    if (has_kw) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(kw, &pos, &k, &v)) {
            if (IS_ARRAY(v) || PyList_CheckExact(v) || PyUnicode_Compare(k, s_out) == 0 ||
                PyUnicode_Compare(k, s_where) == 0)
                return NULL;
            if (PyTuple_CheckExact(v))
                for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(v); j++)
                    if (IS_ARRAY(PyTuple_GET_ITEM(v, j))) return NULL;
        }
        if (PyErr_Occurred()) { PyErr_Clear(); return NULL; }
    }
    PyObject *t = NULL, *k = NULL, *b = NULL, *res = NULL, *r = NULL;
    PyObject *bufs[MAXARGS];
    int nbufs = 0;
    t = PyTuple_New(nargs);
    k = has_kw ? (Py_INCREF(kw), kw) : PyDict_New();
    if (t == NULL || k == NULL) goto fail;
    for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(t, i, args[i]); }
    if (traced) {
        if (PyDict_Contains(in_place_ops, op) != 0) goto fail;
        if (!prepared_as_is(op, t, k)) {
            PyObject *prepare = PyList_GET_ITEM(prepare_l, 0);
            PyObject *argv[3] = {op, t, k};
            PyObject *p = PyObject_Vectorcall(prepare, argv, 3, NULL);
            if (p == NULL) goto fail;
            int same = PyTuple_Check(p) && PyTuple_GET_SIZE(p) >= 1 && PyTuple_GET_ITEM(p, 0) == t;
            Py_DECREF(p);
            if (!same) goto miss;
        }
    }
    b = PyObject_GetAttr(dev, s_backend);
    if (b == NULL) goto fail;
    int takes = takes_kernels(b);
    if (takes <= 0) goto fail;
    PyObject *plan = plan_of(b);
    if (plan == NULL) goto fail;
    PyObject *entry = PyDict_GetItemWithError(PyTuple_GET_ITEM(plan, 0), op);
    if (entry == NULL) goto fail;
    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2) goto fail;
    Py_INCREF(entry);  /* (the table may change while the guard runs Python code) */
    int admitted = guard_admits(PyTuple_GET_ITEM(entry, 1), t, k);
    if (admitted < 0) goto entry_error;  /* a guard's error: _device_fast raises it too */
    if (!admitted) goto entry_miss;
    SETTLE(goto entry_error);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        /* (references held here: another thread may rebind an array's _data while the kernel runs) */
        bufs[i] = IS_ARRAY(args[i]) ? A(args[i])->data : args[i];
        Py_INCREF(bufs[i]);
        nbufs++;
    }
    r = PyObject_VectorcallDict(PyTuple_GET_ITEM(entry, 0), bufs, nargs, has_kw ? kw : NULL);
    Py_DECREF(entry);
    if (r == NULL) {
        if (PyErr_ExceptionMatches(PyTuple_GET_ITEM(plan, 1))) goto fail;  /* the general path answers */
        goto error;
    }
    if (face == NULL || face == Py_None) face = spec ? Py_False : Py_True;
    int buf = is_buffer(PyTuple_GET_ITEM(plan, 2), r);
    if (buf < 0) goto error;
    if (buf) {
        res = wrap_new(r, dev, face);
    } else {
        PyObject *argv[3] = {r, dev, face};
        res = PyObject_Vectorcall(device_result, argv, 3, NULL);
    }
    if (res == NULL) goto error;
    if (count_run(op, PyTuple_GET_ITEM(plan, 3)) < 0) { Py_CLEAR(res); goto error; }
    if (traced) {
        Py_SETREF(res, record_traced(op, t, k, res));
    } else {
        PyObject *at = PyDict_GetItemWithError(in_place_ops, op);
        if (at != NULL) {
            Py_ssize_t i = PyLong_AsSsize_t(at);
            if (i < 0 || i >= nargs) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "the in-place op's target");
                Py_CLEAR(res);
            } else {
                Py_INCREF(args[i]);
                Py_SETREF(res, args[i]);
            }
        } else if (PyErr_Occurred()) {
            Py_CLEAR(res);
        }
    }
    goto done;
entry_miss:
    Py_DECREF(entry);
    goto miss;
entry_error:
    Py_DECREF(entry);
    goto error;
fail:
    PyErr_Clear();  /* the Python path answers, and raises where it must */
miss:
    res = NULL;
    goto done;
error:
    res = NULL;
done:
    for (int i = 0; i < nbufs; i++) Py_DECREF(bufs[i]);
    Py_XDECREF(r);
    Py_XDECREF(t);
    Py_XDECREF(k);
    Py_XDECREF(b);
    return res;
}

/* ------------------------------------------------------------ the run fast path
 * host_call: op's NumPy kernel on the buffers of args (MinArrays, plain sequences, or sequences of MinArrays) and
 * plain keywords, when every array is a cpu array (untraced, but for TRACED below) and the policy runs NumPy for
 * this call; NULL with no error set where the Python path must answer.  flags:
 * STRICT    no argument after the first may be an array or a sequence (the array methods' rule);
 * NOKW      no keyword argument (the methods whose fast path takes none);
 * SELFFACE  the result has the first argument's face (a method's);
 * UFUNC     the call is __array_ufunc__(self, ufunc, method, *inputs), its kernel the table of op names (OP_OF);
 * TRACED    a call with a traced array is run and recorded on the tape (record_host), as _dispatch.run's fast path
 *           does (the other paths leave it to the engine);
 * DEVICE    (a Call's) a call that the host path does not take goes to the device fast path (device_call) before
 *           the slow path: where that path's first step is the engine's _run(op, kernel, args, kw, face=face). */
enum { STRICT = 1, NOKW = 2, SELFFACE = 4, UFUNC = 8, TRACED = 16, DEVICE = 32 };

static PyObject *host_call(PyObject *op, PyObject *kernel, PyObject *const *args, Py_ssize_t nargs, PyObject *kw,
                           PyObject *face, int flags) {
    int strict = flags & STRICT;
    if (MinArray == NULL || nargs > MAXARGS || ((flags & SELFFACE) && (nargs == 0 || !IS_ARRAY(args[0]))))
        return NULL;
    SETTLE(return NULL);
    int pk = policy_kind();
    if (pk <= 0) {  /* (on an error, the Python path answers and raises it again) */
        PyErr_Clear();
        return NULL;
    }
    PyObject *limit = NULL;
    int err = 0, ask = 0;
    if (kw != NULL && PyDict_GET_SIZE(kw)) {
        if (flags & NOKW) return NULL;
        int has = PyDict_Contains(kw, s_out);
        if (has != 0) { PyErr_Clear(); return NULL; }
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(kw, &pos, &k, &v)) {
            if (IS_ARRAY(v)) return NULL;
            if (PyList_CheckExact(v) || PyTuple_CheckExact(v)) {
                if (strict) return NULL;
                Py_ssize_t n = PySequence_Fast_GET_SIZE(v);
                PyObject **items = PySequence_Fast_ITEMS(v);
                for (Py_ssize_t i = 0; i < n; i++) {
                    PyObject *e = items[i];
                    if (IS_ARRAY(e) || PyList_CheckExact(e) || PyTuple_CheckExact(e)) return NULL;
                }
            }
        }
    }
    if (pk == 1) {
        limit = limit_of(op, &err);
        if (err) { PyErr_Clear(); return NULL; }
    }
    PyObject *bufs[MAXARGS];
    PyObject *made[MAXARGS];  /* the buffers and sequences passed to the kernel (references held here: another
                                 thread may rebind an array's _data while NumPy runs without the GIL) */
    int nmade = 0, found = 0, spec = 0, traced = 0;
    PyObject *res = NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *a = args[i];
        bufs[i] = a;
        if (IS_ARRAY(a)) {
            if (strict && i) goto miss;
            Base *b = A(a);
            if (b->device != CPU) goto miss;
            if (b->node != Py_None) {
                if (!(flags & TRACED)) goto miss;
                traced = 1;
            }
            if (b->face != Py_True) spec = 1;
            if (limit != NULL && !ask) {
                int l = large(b->data, limit);
                if (l < 0) goto fail;
                ask = l;
            }
            bufs[i] = b->data;
            Py_INCREF(b->data);
            made[nmade++] = b->data;
            found = 1;
        } else if (PyList_CheckExact(a) || PyTuple_CheckExact(a)) {
            if (strict && i) goto miss;
            Py_ssize_t n = PySequence_Fast_GET_SIZE(a);
            PyObject **items = PySequence_Fast_ITEMS(a);
            int arrays = 0;
            for (Py_ssize_t j = 0; j < n; j++) {
                PyObject *e = items[j];
                if (IS_ARRAY(e)) {
                    Base *b = A(e);
                    if (b->device != CPU || b->node != Py_None) goto miss;
                    if (limit != NULL && !ask) {
                        int l = large(b->data, limit);
                        if (l < 0) goto fail;
                        ask = l;
                    }
                    arrays = 1;
                } else if (PyList_CheckExact(e) || PyTuple_CheckExact(e)) {
                    goto miss;
                }
            }
            if (arrays) {
                PyObject *s = PyList_CheckExact(a) ? PyList_New(n) : PyTuple_New(n);
                if (s == NULL) goto fail;
                for (Py_ssize_t j = 0; j < n; j++) {
                    PyObject *e = items[j];
                    if (IS_ARRAY(e)) {
                        if (A(e)->face != Py_True) spec = 1;
                        e = A(e)->data;
                    }
                    Py_INCREF(e);
                    if (PyList_CheckExact(s)) PyList_SET_ITEM(s, j, e); else PyTuple_SET_ITEM(s, j, e);
                }
                made[nmade++] = s;
                bufs[i] = s;
                found = 1;
            }
        }
    }
    if (traced && kw != NULL && PyDict_GET_SIZE(kw)) {
        /* (keywords hold no array here, so grad.py's prepare would move none; an op that takes sequences is packed
         * by it, on the Python path) */
        int in = sequences != NULL ? PyDict_Contains(sequences, op) : 1;
        if (in != 0) goto fail;
    }
    if (!found) {
        PyObject *dev = NULL;
        if (PyContextVar_Get(default_device, NULL, &dev) < 0) goto fail;
        Py_XDECREF(dev);
        if (dev != CPU) goto miss;
    }
    if (flags & SELFFACE) face = A(args[0])->face;
    else if (face == NULL || face == Py_None) face = (found && !spec) ? Py_True : Py_False;
    if (ask && (kw == NULL || !PyDict_GET_SIZE(kw))) {  /* a kind calibration has placed */
        int known = lent_known(op, args, nargs, face, traced, &res);
        if (known < 0) goto fail;
        if (known == 1) goto done;
        if (known == 2) goto miss;
        if (known == 0) ask = 0;
    }
    if (ask) {  /* an array of the op's settled size or more: calibration decides, and runs a lent call (lent_call) */
        PyObject *t = PyTuple_New(nargs);
        if (t == NULL) goto fail;
        for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(t, i, args[i]); }
        PyObject *argv[4] = {op, t, kw != NULL ? kw : Py_None, face};
        PyObject *h = PyObject_Vectorcall(lent_call, argv, 4, NULL);
        Py_DECREF(t);
        if (h == NULL) goto fail;
        if (h != here) {
            if (h == miss) { Py_DECREF(h); goto miss; }
            res = h;  /* the lent kernel's result, counted, given its face and recorded by _dispatch._lent */
            goto done;
        }
        Py_DECREF(h);
    }
    SETTLE(goto done);
    res = PyObject_VectorcallDict(kernel, bufs, nargs, (kw != NULL && PyDict_GET_SIZE(kw)) ? kw : NULL);
    if (res == NULL) goto done;  /* NumPy's own error, at this call, as on the Python path */
    if (count(op) < 0) { Py_CLEAR(res); goto done; }
    res = traced ? record(op, args, nargs, kw, res, face) : finish(res, face);
    goto done;
fail:
    PyErr_Clear();  /* the Python path answers, and raises where it must */
miss:
    res = NULL;
done:
    Py_XDECREF(limit);
    for (int i = 0; i < nmade; i++) Py_DECREF(made[i]);
    return res;
}

/* the slots of Base, and of the module's run: what set_slot() hands over */
enum { ADD, SUB, MUL, TRUEDIV, FLOORDIV, MOD, MATMUL, AND, OR, XOR, LSHIFT, RSHIFT, POW,
       LT, LE, EQ, NE, GT, GE, NEG, POS, ABS, INVERT, GETITEM, SETITEM, RUN, SQUARE, RECIPROCAL, SQRT, NSLOTS };
static const char *slot_names[NSLOTS] = {
    "add", "sub", "mul", "truediv", "floordiv", "mod", "matmul", "and", "or", "xor", "lshift", "rshift", "pow",
    "lt", "le", "eq", "ne", "gt", "ge", "neg", "pos", "abs", "invert", "getitem", "setitem", "run", "square",
    "reciprocal", "sqrt"};

typedef struct {
    /* the op, NumPy's kernel, the Python methods x op y, y op x, x op= y (getitem, setitem, the pow forms: their
     * Python methods; run: _dispatch's Python run, which run() and apply() call on a miss) */
    PyObject *op, *kernel, *slow, *rslow, *islow;
} Slot;
static Slot slots[NSLOTS];
#define SLOW_RUN (slots[RUN].slow)

/* run(op, np_kernel, args, kw, face=None): _dispatch.run, its host fast path here and everything else in Python */
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (SLOW_RUN == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "run: _dispatch has not handed over its Python run");
        return NULL;
    }
    if (nargs < 4 || nargs > 5 || !PyTuple_CheckExact(args[2]) || !PyDict_CheckExact(args[3]))
        return PyObject_Vectorcall(SLOW_RUN, args, nargs, NULL);
    PyObject *face = nargs == 5 ? args[4] : Py_None;
    PyObject *r = host_call(args[0], args[1], PySequence_Fast_ITEMS(args[2]), PyTuple_GET_SIZE(args[2]),
                            args[3], face, TRACED);
    if (r != NULL || PyErr_Occurred()) return r;
    r = device_call(args[0], PySequence_Fast_ITEMS(args[2]), PyTuple_GET_SIZE(args[2]), args[3], face);
    if (r != NULL || PyErr_Occurred()) return r;
    return PyObject_Vectorcall(SLOW_RUN, args, nargs, NULL);
}

/* apply(op, *args, **kw): _dispatch.apply (run with NumPy's kernel of op) */
static PyObject *apply(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (SLOW_RUN == NULL || np_kernels == NULL || nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "apply(op, *args, **kw): the engine has not handed over its parts");
        return NULL;
    }
    PyObject *kernel = PyDict_GetItemWithError(np_kernels, args[0]);
    if (kernel == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, args[0]);
        return NULL;
    }
    Py_INCREF(kernel);
    PyObject *kw = PyDict_New(), *r = NULL, *t = NULL;
    if (kw == NULL) goto done;
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++)
        if (PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) goto done;
    r = host_call(args[0], kernel, args + 1, nargs - 1, kw, Py_None, TRACED);
    if (r != NULL || PyErr_Occurred()) goto done;
    r = device_call(args[0], args + 1, nargs - 1, kw, Py_None);
    if (r != NULL || PyErr_Occurred()) goto done;
    t = PyTuple_New(nargs - 1);
    if (t == NULL) goto done;
    for (Py_ssize_t i = 1; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(t, i - 1, args[i]); }
    PyObject *argv[4] = {args[0], kernel, t, kw};
    r = PyObject_Vectorcall(SLOW_RUN, argv, 4, NULL);
done:
    Py_DECREF(kernel);
    Py_XDECREF(kw);
    Py_XDECREF(t);
    return r;
}

/* ------------------------------------------------------------ Call: a face function or array method */
typedef struct {
    PyObject_HEAD
    PyObject *op, *kernel, *slow, *face, *post, *dict;
    int flags;
    vectorcallfunc vectorcall;
} Call;

/* the Call's `post` on a result that is neither an array nor a NumPy scalar (a random Generator: its Proxy) */
static PyObject *post(Call *c, PyObject *r) {
    if (r == NULL || c->post == NULL || IS_ARRAY(r) || PyObject_TypeCheck(r, (PyTypeObject *)generic_t)) return r;
    PyObject *p = PyObject_CallOneArg(c->post, r);
    Py_DECREF(r);
    return p;
}

/* __array_ufunc__(self, ufunc, "__call__", *inputs) of arrays and scalars (numpy.exp(x), s * x of a NumPy scalar
 * s): the ufunc's op on the host fast path, as the Python method's first case */
static PyObject *ufunc_call(Call *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 3 || !PyUnicode_Check(args[2]) || PyUnicode_CompareWithASCIIString(args[2], "__call__") != 0)
        return NULL;
    for (Py_ssize_t i = 3; i < nargs; i++) {
        PyObject *v = args[i];
        if (!IS_ARRAY(v) && !PyFloat_CheckExact(v) && !PyLong_CheckExact(v) && !PyBool_Check(v) &&
            !PyComplex_CheckExact(v) && !PyObject_TypeCheck(v, (PyTypeObject *)generic_t))
            return NULL;
    }
    PyObject *op = PyDict_GetItemWithError(c->kernel, args[1]);
    if (op == NULL) {
        PyErr_Clear();
        return NULL;
    }
    return host_call(op, args[1], args + 3, nargs - 3, NULL, Py_None, TRACED);
}

static PyObject *call_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Call *c = (Call *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    int has_kw = kwnames != NULL && PyTuple_GET_SIZE(kwnames);
    if ((c->flags & UFUNC) && has_kw)  /* (__array_ufunc__'s fast case takes no keywords) */
        return PyObject_Vectorcall(c->slow, args, nargsf, kwnames);
    PyObject *kw = NULL;
    if (has_kw) {
        kw = PyDict_New();
        if (kw == NULL) return NULL;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++)
            if (PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) { Py_DECREF(kw); return NULL; }
    }
    PyObject *r = (c->flags & UFUNC) ? ufunc_call(c, args, nargs)
                                     : host_call(c->op, c->kernel, args, nargs, kw, c->face, c->flags);
    if (r == NULL && !PyErr_Occurred() && (c->flags & DEVICE)) r = device_call(c->op, args, nargs, kw, c->face);
    Py_XDECREF(kw);
    if (r != NULL || PyErr_Occurred()) return post(c, r);
    return PyObject_Vectorcall(c->slow, args, nargsf, kwnames);
}

static PyObject *call_call(PyObject *self, PyObject *args, PyObject *kw) {
    Call *c = (Call *)self;
    PyObject *r;
    if (c->flags & UFUNC)  /* (NumPy calls __array_ufunc__ this way, with its keywords as a dict) */
        r = (kw == NULL || !PyDict_GET_SIZE(kw)) ? ufunc_call(c, PySequence_Fast_ITEMS(args), PyTuple_GET_SIZE(args))
                                                 : NULL;
    else
        r = host_call(c->op, c->kernel, PySequence_Fast_ITEMS(args), PyTuple_GET_SIZE(args), kw, c->face, c->flags);
    if (r == NULL && !PyErr_Occurred() && (c->flags & DEVICE))
        r = device_call(c->op, PySequence_Fast_ITEMS(args), PyTuple_GET_SIZE(args), kw, c->face);
    if (r != NULL || PyErr_Occurred()) return post(c, r);
    return PyObject_Call(c->slow, args, kw);
}

static int call_init(PyObject *self, PyObject *args, PyObject *kwds) {
    Call *c = (Call *)self;
    PyObject *op, *kernel, *slow, *face = Py_None, *post = Py_None;
    int flags = 0;
    static char *names[] = {"op", "kernel", "slow", "face", "flags", "post", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|OiO", names, &op, &kernel, &slow, &face, &flags, &post))
        return -1;
    Py_INCREF(op); Py_XSETREF(c->op, op);
    Py_INCREF(kernel); Py_XSETREF(c->kernel, kernel);
    Py_INCREF(slow); Py_XSETREF(c->slow, slow);
    Py_INCREF(face); Py_XSETREF(c->face, face);
    if (post == Py_None) post = NULL;
    Py_XINCREF(post); Py_XSETREF(c->post, post);
    c->flags = flags;
    c->vectorcall = call_vectorcall;
    return 0;
}

static int call_traverse(PyObject *self, visitproc visit, void *arg) {
    Call *c = (Call *)self;
    Py_VISIT(c->op); Py_VISIT(c->kernel); Py_VISIT(c->slow); Py_VISIT(c->face); Py_VISIT(c->post); Py_VISIT(c->dict);
    return 0;
}

static int call_clear(PyObject *self) {
    Call *c = (Call *)self;
    Py_CLEAR(c->op); Py_CLEAR(c->kernel); Py_CLEAR(c->slow); Py_CLEAR(c->face); Py_CLEAR(c->post); Py_CLEAR(c->dict);
    return 0;
}

static void call_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    call_clear(self);
    Py_TYPE(self)->tp_free(self);
}

/* pickled by reference, as the function it stands for: its __qualname__ in its __module__ */
static PyObject *call_reduce(PyObject *self, PyObject *unused) {
    return PyObject_GetAttrString(self, "__qualname__");
}

static PyObject *call_repr(PyObject *self) {
    PyObject *name = PyObject_GetAttrString(self, "__qualname__");
    if (name == NULL) {
        PyErr_Clear();
        return PyUnicode_FromFormat("<minpy_array function %R>", ((Call *)self)->op);
    }
    PyObject *r = PyUnicode_FromFormat("<minpy_array function %U>", name);
    Py_DECREF(name);
    return r;
}

static PyMethodDef call_methods[] = {
    {"__reduce__", call_reduce, METH_NOARGS, NULL},
    {NULL}
};

static PyMemberDef call_members[] = {
    {"_op", T_OBJECT, offsetof(Call, op), READONLY, NULL},
    {"_slow", T_OBJECT, offsetof(Call, slow), READONLY, NULL},
    {"__dictoffset__", T_PYSSIZET, offsetof(Call, dict), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Call, vectorcall), READONLY, NULL},
    {NULL}
};

static PyGetSetDef call_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL}
};

static PyTypeObject CallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minpy_array._speedups.Call",
    .tp_doc = "Call(op, kernel, slow, face=None, flags=0, post=None): a face function (or, as Method, an array method) "
              "that runs NumPy's kernel of `op` on the host fast path and calls `slow` otherwise.",
    .tp_basicsize = sizeof(Call),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = PyType_GenericNew,
    .tp_init = call_init,
    .tp_call = call_call,
    .tp_repr = call_repr,
    .tp_vectorcall_offset = offsetof(Call, vectorcall),
    .tp_dictoffset = offsetof(Call, dict),
    .tp_traverse = call_traverse,
    .tp_clear = call_clear,
    .tp_dealloc = call_dealloc,
    .tp_methods = call_methods,
    .tp_members = call_members,
    .tp_getset = call_getset,
};

static PyObject *method_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (obj == NULL || obj == Py_None) { Py_INCREF(self); return self; }
    return PyMethod_New(self, obj);
}

static PyTypeObject MethodType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minpy_array._speedups.Method",
    .tp_doc = "A Call that binds as a method (the array is the first argument).",
    .tp_basicsize = sizeof(Call),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_base = &CallType,
    .tp_descr_get = method_get,
    .tp_call = call_call,
    .tp_vectorcall_offset = offsetof(Call, vectorcall),
    .tp_traverse = call_traverse,
    .tp_clear = call_clear,
    .tp_dealloc = call_dealloc,
};

/* ------------------------------------------------------------ Base: MinArray's fields and operator slots */

/* _host_operand: the operand NumPy's own operator on buffer d treats exactly as the engine does, or NULL (a new
 * reference; NULL with an error set only for a real error) */
static PyObject *host_operand(PyObject *d, PyObject *other) {
    PyObject *dt = PyObject_GetAttr(d, s_dtype);
    if (dt == NULL) return NULL;
    PyObject *r = NULL;
    if (IS_ARRAY(other)) {
        Base *o = A(other);
        if (o->device == CPU) {
            PyObject *odt = PyObject_GetAttr(o->data, s_dtype);
            if (odt == NULL) goto out;
            if (odt == dt) { r = o->data; Py_INCREF(r); }
            Py_DECREF(odt);
        }
    } else if (PyFloat_CheckExact(other)) {
        if (dt == F64) { r = other; Py_INCREF(r); }
        else if (dt == F32) {
            double v = PyFloat_AS_DOUBLE(other);
            if (-F32_MAX < v && v < F32_MAX) {
                PyObject *nd = PyObject_GetAttr(d, s_ndim);
                if (nd == NULL) goto out;
                int t = PyObject_IsTrue(nd);
                Py_DECREF(nd);
                if (t > 0) { r = other; Py_INCREF(r); }
            }
        }
    } else if (PyLong_CheckExact(other)) {
        if (dt == F64 || dt == I64) {
            int overflow = 0;
            (void)PyLong_AsLongLongAndOverflow(other, &overflow);
            if (!overflow && !PyErr_Occurred()) { r = other; Py_INCREF(r); }
            PyErr_Clear();
        }
    } else {
        PyObject *st = PyObject_GetAttr(dt, s_type);
        if (st == NULL) goto out;
        if ((PyObject *)Py_TYPE(other) == st) { r = other; Py_INCREF(r); }
        Py_DECREF(st);
    }
out:
    Py_DECREF(dt);
    return r;
}

/* _array._kept: does the engine take `x op other` as it is (other an array of x's buffer dtype, or a Python float
 * that keeps x's float dtype)?  1, 0, -1 on error */
static int kept(PyObject *x, PyObject *other) {
    if (IS_ARRAY(other)) {
        PyObject *a = PyObject_GetAttr(A(x)->data, s_dtype);
        PyObject *b = a != NULL ? PyObject_GetAttr(A(other)->data, s_dtype) : NULL;
        int r = b != NULL ? PyObject_RichCompareBool(a, b, Py_EQ) : -1;
        Py_XDECREF(a);
        Py_XDECREF(b);
        return r;
    }
    if (!PyFloat_CheckExact(other)) return 0;
    double v = PyFloat_AS_DOUBLE(other);
    if (!(-F32_MAX < v && v < F32_MAX)) return 0;
    PyObject *dt = dtype_of(NULL, x);
    PyObject *kind = dt != NULL ? PyObject_GetAttr(dt, s_kind) : NULL;
    PyObject *size = dt != NULL ? PyObject_GetAttr(dt, s_itemsize) : NULL;
    int r = -1;
    if (kind != NULL && size != NULL) {
        int f = PyUnicode_CompareWithASCIIString(kind, "f") == 0;
        long n = PyLong_AsLong(size);
        r = 0;
        if (f && n == 8) r = 1;
        else if (f && n == 4) {
            PyObject *nd = PyObject_GetAttr(A(x)->data, s_ndim);
            r = nd != NULL ? PyObject_IsTrue(nd) : -1;
            Py_XDECREF(nd);
        }
        if (PyErr_Occurred()) r = -1;
    }
    Py_XDECREF(dt);
    Py_XDECREF(kind);
    Py_XDECREF(size);
    return r;
}

/* x op y on the host fast path (the Python method _binary's: a traced operand's result recorded), on the device
 * fast path (the Python method's next case: x on a device and other kept as it is), or the Python method */
static PyObject *binary(int s, PyObject *v, PyObject *w, int cmp_reflected) {
    Slot *sl = &slots[s];
    int reflected = !IS_ARRAY(v);
    PyObject *self = reflected ? w : v, *other = reflected ? v : w;
    if (cmp_reflected) reflected = 0;  /* (rich comparisons arrive with the array first) */
    PyObject *slow = reflected ? sl->rslow : sl->slow;
    SETTLE(return NULL);
    if (sl->op == NULL) goto slow_path;
    Base *x = A(self);
    if (x->device != CPU) {
        int k = kept(self, other);
        if (k < 0) PyErr_Clear();  /* (the Python method answers) */
        if (k > 0 && s == MUL) {  /* c * x: a scaled array where it may be one */
            PyObject *p = scaled_new(sl->op, self, other, x->face, 0);
            if (p != NULL || PyErr_Occurred()) return p;
        }
        if (k > 0) {
            PyObject *argv[2] = {reflected ? other : self, reflected ? self : other};
            PyObject *r = device_call(sl->op, argv, 2, NULL, Py_None);
            if (r != NULL || PyErr_Occurred()) return r;
        }
        goto slow_path;
    }
    int traced = x->node != Py_None || (IS_ARRAY(other) && A(other)->node != Py_None);
    int pk = policy_kind();
    if (pk <= 0) { PyErr_Clear(); goto slow_path; }
    PyObject *d = x->data;
    PyObject *o = host_operand(d, other);
    if (o == NULL) { PyErr_Clear(); goto slow_path; }
    Py_INCREF(d);
    PyObject *face = (x->face == Py_True && (!IS_ARRAY(other) || A(other)->face == Py_True)) ? Py_True : Py_False;
    if (pk == 1) {
        int err = 0;
        PyObject *limit = limit_of(sl->op, &err);
        if (err) { PyErr_Clear(); Py_DECREF(o); Py_DECREF(d); goto slow_path; }
        if (limit != NULL) {
            int l = large(d, limit);
            if (l == 0 && IS_ARRAY(other)) l = large(o, limit);
            Py_DECREF(limit);
            int known = l == 0 ? 0 : 3;  /* (below the op's settled size: NumPy's kernel, as under numpy_only) */
            if (l > 0) {  /* a kind calibration has placed: NumPy's kernel below, or a lent call's result */
                PyObject *pair[2] = {reflected ? other : self, reflected ? self : other}, *res = NULL;
                known = lent_known(sl->op, pair, 2, face, traced, &res);
                if (known == 1) {
                    Py_DECREF(o);
                    Py_DECREF(d);
                    return res;
                }
            }
            if (known != 0) {  /* (or an error: the Python method answers) */
                PyErr_Clear();
                Py_DECREF(o);
                Py_DECREF(d);
                goto slow_path;
            }
        }
    }
    if (s == MUL && !traced) {  /* c * x: a scaled array where it may be one */
        PyObject *p = scaled_new(sl->op, self, other, face, 1);
        if (p != NULL || PyErr_Occurred()) {
            Py_DECREF(o);
            Py_DECREF(d);
            return p;
        }
    }
    SETTLE(Py_DECREF(o); Py_DECREF(d); return NULL);
    PyObject *argv[2] = {reflected ? o : d, reflected ? d : o};
    PyObject *r = PyObject_Vectorcall(sl->kernel, argv, 2, NULL);
    Py_DECREF(o);
    Py_DECREF(d);
    if (r == NULL) return NULL;
    if (count(sl->op) < 0) { Py_DECREF(r); return NULL; }
    if (!traced) return finish(r, face);
    PyObject *pair[2] = {reflected ? other : self, reflected ? self : other};
    return record(sl->op, pair, 2, NULL, r, face);
slow_path:;
    PyObject *sargs[2] = {self, other};
    return PyObject_Vectorcall(slow, sargs, 2, NULL);
}

/* x op= y on a device, untraced: the Python method's path (_iop, _iop_device: x's buffer writeable, then
 * _dispatch.run_in_place) where the backend's in-place kernel writes into x's buffer, y an array of x's shape on x's
 * device or a scalar; 1 done, 0 where the Python method answers, -1 on error */
static int device_in_place(PyObject *op, PyObject *v, PyObject *w) {
    Base *x = A(v);
    if (MinArray == NULL || plans == NULL || Py_TYPE(x->data) == (PyTypeObject *)ndarray_t) return 0;
    if (IS_ARRAY(w) ? (A(w)->node != Py_None || A(w)->device != x->device)
                    : (PyList_Check(w) || PyTuple_Check(w)))
        return 0;
    /* (the buffers held here: another thread may rebind an array's _data while Python code or the kernel runs) */
    PyObject *buf = x->data, *wbuf = IS_ARRAY(w) ? A(w)->data : w;
    Py_INCREF(buf);
    Py_INCREF(wbuf);
    PyObject *b = PyObject_GetAttr(x->device, s_backend), *t = NULL, *k = NULL;
    int done = 0;
    if (b == NULL || takes_kernels(b) <= 0) goto out;
    PyObject *plan = plan_of(b);
    if (plan == NULL) goto out;
    PyObject *entry = PyDict_GetItemWithError(PyTuple_GET_ITEM(plan, 4), op);
    if (entry == NULL || !PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2) goto out;
    Py_INCREF(entry);  /* (the table may change while Python code runs below) */
    PyObject *wr = PyObject_CallOneArg(PyTuple_GET_ITEM(plan, 5), buf);
    int ok = wr != NULL ? PyObject_IsTrue(wr) : -1;
    Py_XDECREF(wr);
    if (ok <= 0) goto entry_out;  /* (read-only: the Python method raises NumPy's error) */
    if (IS_ARRAY(w)) {  /* an operand of another shape: the Python method's broadcasting rules */
        PyObject *xs = PyObject_GetAttr(buf, s_shape), *ws = PyObject_GetAttr(wbuf, s_shape);
        ok = xs != NULL && ws != NULL ? PyObject_RichCompareBool(xs, ws, Py_EQ) : -1;
        Py_XDECREF(xs);
        Py_XDECREF(ws);
        if (ok <= 0) goto entry_out;
    }
    t = PyTuple_Pack(2, v, w);
    k = PyDict_New();
    if (t == NULL || k == NULL || guard_admits(PyTuple_GET_ITEM(entry, 1), t, k) <= 0) goto entry_out;
    SETTLE(Py_DECREF(entry); done = -1; goto keep_error);
    PyObject *argv[2] = {buf, wbuf};
    PyObject *r = PyObject_Vectorcall(PyTuple_GET_ITEM(entry, 0), argv, 2, NULL);
    Py_DECREF(entry);
    if (r == NULL) {
        /* (the Python method answers: run_in_place declines after these, and the engine computes and stores) */
        if (PyErr_ExceptionMatches(PyTuple_GET_ITEM(plan, 1)) || PyErr_ExceptionMatches(PyExc_ValueError)) goto out;
        done = -1;
        goto keep_error;
    }
    Py_DECREF(r);
    done = count_run(op, PyTuple_GET_ITEM(plan, 3)) < 0 ? -1 : 1;
    goto keep_error;
entry_out:
    Py_DECREF(entry);
out:
    PyErr_Clear();
keep_error:
    Py_XDECREF(b);
    Py_XDECREF(t);
    Py_XDECREF(k);
    Py_DECREF(buf);
    Py_DECREF(wbuf);
    return done;
}

/* x op= y: NumPy's kernel writing into x's buffer (the Python method _in_place's), a device's in-place kernel
 * (device_in_place), or the Python method */
static PyObject *in_place(int s, PyObject *v, PyObject *w) {
    Slot *sl = &slots[s];
    Base *x = A(v);
    if (w == PENDING && (s == SUB || s == ADD) && sl->op != NULL) {
        int done = fused_in_place(sl->op, s == SUB, v, w);
        if (done < 0) return NULL;
        if (done) {
            Py_INCREF(v);
            return v;
        }
    }
    SETTLE(return NULL);
    if (sl->op != NULL && x->node == Py_None && x->device != CPU && s != POW) {
        int done = device_in_place(sl->op, v, w);
        if (done < 0) return NULL;
        if (done) { Py_INCREF(v); return v; }
    }
    if (sl->op != NULL && x->node == Py_None && x->device == CPU && (!IS_ARRAY(w) || A(w)->node == Py_None)) {
        PyObject *d = x->data;
        PyObject *o = host_operand(d, w);
        if (o != NULL) {
            Py_INCREF(d);
            PyObject *argv[3] = {d, o, d};
            PyObject *r = PyObject_Vectorcall(sl->kernel, argv, 2, kw_out);
            Py_DECREF(o);
            Py_DECREF(d);
            if (r == NULL) return NULL;
            Py_DECREF(r);
            if (count(sl->op) < 0) return NULL;
            Py_INCREF(v);
            return v;
        }
        PyErr_Clear();
    }
    return PyObject_CallFunctionObjArgs(sl->islow, v, w, NULL);
}

#define BINARY(NAME, S) \
    static PyObject *nb_##NAME(PyObject *v, PyObject *w) { return binary(S, v, w, 0); } \
    static PyObject *nb_i##NAME(PyObject *v, PyObject *w) { return in_place(S, v, w); }
BINARY(add, ADD) BINARY(sub, SUB) BINARY(mul, MUL) BINARY(truediv, TRUEDIV) BINARY(floordiv, FLOORDIV)
BINARY(mod, MOD) BINARY(matmul, MATMUL) BINARY(and, AND) BINARY(or, OR) BINARY(xor, XOR) BINARY(lshift, LSHIFT)
BINARY(rshift, RSHIFT)

static PyObject *unary(int s, PyObject *x);

/* the op NumPy runs for x ** e instead of power (_fast_pow's rule): SQUARE, RECIPROCAL, SQRT, or -1 */
static int fast_pow(PyObject *x, PyObject *e) {
    int which = -1;
    const char *kinds = NULL;
    if (PyLong_CheckExact(e)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(e, &overflow);
        if (overflow || (v == -1 && PyErr_Occurred())) { PyErr_Clear(); return -1; }
        if (v == 2) { which = SQUARE; kinds = "biufc"; }
        else if (v == -1) { which = RECIPROCAL; kinds = "fc"; }
    } else if (PyFloat_Check(e) && PyFloat_AS_DOUBLE(e) == 0.5) {
        which = SQRT; kinds = "fc";
    }
    if (which < 0 || slots[which].op == NULL) return -1;
    PyObject *dt = PyObject_GetAttr(A(x)->data, s_dtype);
    PyObject *kind = dt != NULL ? PyObject_GetAttr(dt, s_kind) : NULL;
    Py_XDECREF(dt);
    const char *k = kind != NULL ? PyUnicode_AsUTF8(kind) : NULL;
    int ok = k != NULL && k[0] && strchr(kinds, k[0]) != NULL;
    Py_XDECREF(kind);
    PyErr_Clear();
    return ok ? which : -1;
}

/* x ** y: NumPy's fast forms (square, reciprocal, sqrt) as those ops, else the Python methods */
static PyObject *nb_pow(PyObject *v, PyObject *w, PyObject *z) {
    if (IS_ARRAY(v) && z == Py_None && A(v)->device == CPU) {
        int which = fast_pow(v, w);
        if (which >= 0) return unary(which, v);
    }
    int reflected = !IS_ARRAY(v);
    PyObject *f = reflected ? slots[POW].rslow : slots[POW].slow;
    return z == Py_None ? PyObject_CallFunctionObjArgs(f, reflected ? w : v, reflected ? v : w, NULL)
                        : PyObject_CallFunctionObjArgs(f, reflected ? w : v, reflected ? v : w, z, NULL);
}

static PyObject *nb_ipow(PyObject *v, PyObject *w, PyObject *z) {
    return z == Py_None ? PyObject_CallFunctionObjArgs(slots[POW].islow, v, w, NULL)
                        : PyObject_CallFunctionObjArgs(slots[POW].islow, v, w, z, NULL);
}

static PyObject *unary(int s, PyObject *x) {
    Slot *sl = &slots[s];
    if (sl->op != NULL) {
        PyObject *r = host_call(sl->op, sl->kernel, &x, 1, NULL, Py_None, 0);
        if (r != NULL || PyErr_Occurred()) return r;
        r = device_call(sl->op, &x, 1, NULL, Py_None);  /* (the Python method: _run(op, kernel, (x,), {})) */
        if (r != NULL || PyErr_Occurred()) return r;
    }
    return PyObject_CallOneArg(sl->slow, x);
}

static PyObject *nb_neg(PyObject *x) { return unary(NEG, x); }
static PyObject *nb_pos(PyObject *x) { return unary(POS, x); }
static PyObject *nb_abs(PyObject *x) { return unary(ABS, x); }
static PyObject *nb_invert(PyObject *x) { return unary(INVERT, x); }

static PyObject *richcompare(PyObject *v, PyObject *w, int op) {
    static const int which[] = {LT, LE, EQ, NE, GT, GE};  /* Py_LT .. Py_GE */
    return binary(which[op], v, w, 1);
}

static PyNumberMethods base_number = {
    .nb_add = nb_add, .nb_subtract = nb_sub, .nb_multiply = nb_mul, .nb_true_divide = nb_truediv,
    .nb_floor_divide = nb_floordiv, .nb_remainder = nb_mod, .nb_matrix_multiply = nb_matmul, .nb_and = nb_and,
    .nb_or = nb_or, .nb_xor = nb_xor, .nb_lshift = nb_lshift, .nb_rshift = nb_rshift, .nb_power = nb_pow,
    .nb_inplace_add = nb_iadd, .nb_inplace_subtract = nb_isub, .nb_inplace_multiply = nb_imul,
    .nb_inplace_true_divide = nb_itruediv, .nb_inplace_floor_divide = nb_ifloordiv, .nb_inplace_remainder = nb_imod,
    .nb_inplace_matrix_multiply = nb_imatmul, .nb_inplace_and = nb_iand, .nb_inplace_or = nb_ior,
    .nb_inplace_xor = nb_ixor, .nb_inplace_lshift = nb_ilshift, .nb_inplace_rshift = nb_irshift,
    .nb_inplace_power = nb_ipow,
    .nb_negative = nb_neg, .nb_positive = nb_pos, .nb_absolute = nb_abs, .nb_invert = nb_invert,
};

/* a plain index (ints, slices, None, Ellipsis, NumPy ints, bools, alone or in a tuple) as NumPy reads it */
static int plain(PyObject *key) {
    if (PyLong_CheckExact(key) || PySlice_Check(key)) return 1;
    if (PyTuple_CheckExact(key)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(key); i++) {
            PyObject *e = PyTuple_GET_ITEM(key, i);
            if (!PyLong_CheckExact(e) && !PySlice_Check(e) && PySet_Contains(plain_key, (PyObject *)Py_TYPE(e)) != 1)
                return 0;
        }
        return 1;
    }
    return PySet_Contains(plain_key, (PyObject *)Py_TYPE(key)) == 1;
}

static PyObject *getitem(PyObject *self, PyObject *key) {
    Base *x = A(self);
    SETTLE(return NULL);
    if (x->device == CPU && MinArray != NULL) {
        int pk = policy_kind();
        if (pk > 0) {
            PyObject *k = key;
            if (IS_ARRAY(key)) {
                k = (A(key)->node == Py_None && A(key)->device == CPU) ? A(key)->data : NULL;
            } else if (!plain(key)) {
                k = NULL;
            }
            if (k != NULL) {
                PyObject *d = x->data;
                Py_INCREF(d);
                PyObject *r = PyObject_GetItem(d, k);
                Py_DECREF(d);
                if (r == NULL) return NULL;
                if (count(slots[GETITEM].op) < 0) { Py_DECREF(r); return NULL; }
                if (x->node == Py_None) return finish(r, x->face);
                PyObject *pair[2] = {self, key};
                return record(slots[GETITEM].op, pair, 2, NULL, r, x->face);
            }
        }
        PyErr_Clear();
    }
    return PyObject_CallFunctionObjArgs(slots[GETITEM].slow, self, key, NULL);
}

static PyObject *sq_getitem(PyObject *self, Py_ssize_t i) {
    PyObject *k = PyLong_FromSsize_t(i);
    if (k == NULL) return NULL;
    PyObject *r = getitem(self, k);
    Py_DECREF(k);
    return r;
}

/* does Python int v fit the integer dtype of buffer d? (NumPy 2 raises OverflowError where not) */
static int int_fits(PyObject *d, PyObject *v) {
    PyObject *dt = PyObject_GetAttr(d, s_dtype);
    if (dt == NULL) return -1;
    PyObject *kind = PyObject_GetAttr(dt, s_kind), *size = PyObject_GetAttr(dt, s_itemsize);
    Py_DECREF(dt);
    if (kind == NULL || size == NULL) { Py_XDECREF(kind); Py_XDECREF(size); return -1; }
    const char *k = PyUnicode_AsUTF8(kind);
    long n = PyLong_AsLong(size);
    int r = 1;
    if (k != NULL && (k[0] == 'i' || k[0] == 'u')) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) r = 0;
        else if (k[0] == 'u') r = x >= 0 && (n >= 8 || x < (1LL << (8 * n)));
        else r = n >= 8 || (x >= -(1LL << (8 * n - 1)) && x < (1LL << (8 * n - 1)));
        if (k[0] == 'u' && n >= 8 && overflow == 1) r = 0;  /* (beyond int64: the Python path checks it) */
    }
    Py_DECREF(kind);
    Py_DECREF(size);
    return PyErr_Occurred() ? -1 : r;
}

static int setitem(PyObject *self, PyObject *key, PyObject *value) {
    Base *x = A(self);
    SETTLE(return -1);
    if (value != NULL && x->node == Py_None && x->device == CPU && MinArray != NULL && plain(key)) {
        PyObject *v = value;
        if (IS_ARRAY(value)) {
            v = (A(value)->node == Py_None && A(value)->device == CPU) ? A(value)->data : NULL;
        } else if (PyList_CheckExact(value) || PyTuple_CheckExact(value)) {
            v = NULL;
        } else if (PyLong_CheckExact(value)) {
            int f = int_fits(x->data, value);
            if (f <= 0) v = NULL;
        }
        if (v != NULL) {
            int pk = policy_kind();
            if (pk > 0) {
                PyObject *d = x->data;
                Py_INCREF(d);
                int e = PyObject_SetItem(d, key, v);
                Py_DECREF(d);
                return e < 0 ? -1 : count(slots[SETITEM].op);
            }
        }
        PyErr_Clear();
    }
    if (value == NULL) {  /* as a Python class with __setitem__ and no __delitem__ */
        PyErr_SetString(PyExc_AttributeError, "__delitem__");
        return -1;
    }
    PyObject *r = PyObject_CallFunctionObjArgs(slots[SETITEM].slow, self, key, value, NULL);
    if (r == NULL) return -1;
    Py_DECREF(r);
    return 0;
}

static int sq_setitem(PyObject *self, Py_ssize_t i, PyObject *value) {
    PyObject *k = PyLong_FromSsize_t(i);
    if (k == NULL) return -1;
    int r = setitem(self, k, value);
    Py_DECREF(k);
    return r;
}

static PyMappingMethods base_mapping = {.mp_subscript = getitem, .mp_ass_subscript = setitem};
static PySequenceMethods base_sequence = {.sq_item = sq_getitem, .sq_ass_item = sq_setitem};

static int base_traverse(PyObject *self, visitproc visit, void *arg) {
    Base *a = A(self);
    Py_VISIT(a->data); Py_VISIT(a->device); Py_VISIT(a->node); Py_VISIT(a->face); Py_VISIT(a->source);
    return 0;  /* (not the type: MinArray's own traverse, CPython's subtype_traverse, visits the heap type) */
}

static int base_clear(PyObject *self) {
    Base *a = A(self);
    Py_CLEAR(a->data); Py_CLEAR(a->device); Py_CLEAR(a->node); Py_CLEAR(a->face); Py_CLEAR(a->source);
    return 0;
}

static void base_dealloc(PyObject *self) {
    PyTypeObject *t = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (A(self)->weakrefs != NULL) PyObject_ClearWeakRefs(self);
    base_clear(self);
    t->tp_free(self);
}

/* _data: a scaled array settles before Python code reads or replaces a buffer (None where there is none, as a
 * member's) */
static PyObject *get_data(PyObject *self, void *closure) {
    SETTLE(return NULL);
    PyObject *d = A(self)->data != NULL ? A(self)->data : Py_None;
    Py_INCREF(d);
    return d;
}

static int set_data(PyObject *self, PyObject *value, void *closure) {
    SETTLE(return -1);
    Py_XINCREF(value);
    Py_XSETREF(A(self)->data, value);
    return 0;
}

static PyGetSetDef base_getset[] = {{"_data", get_data, set_data, NULL, NULL}, {NULL}};

static PyMemberDef base_members[] = {
    {"_device", T_OBJECT, offsetof(Base, device), 0, NULL},
    {"_node", T_OBJECT, offsetof(Base, node), 0, NULL},
    {"_face", T_OBJECT, offsetof(Base, face), 0, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(Base, weakrefs), READONLY, NULL},
    {NULL}
};

static PyTypeObject BaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minpy_array._speedups.Base",
    .tp_doc = "MinArray's fields (_data, _device, _node, _face) and its operator, getitem and setitem slots.",
    .tp_basicsize = sizeof(Base),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_traverse = base_traverse,
    .tp_clear = base_clear,
    .tp_dealloc = base_dealloc,
    .tp_weaklistoffset = offsetof(Base, weakrefs),
    .tp_members = base_members,
    .tp_getset = base_getset,
    .tp_as_number = &base_number,
    .tp_as_mapping = &base_mapping,
    .tp_as_sequence = &base_sequence,
    .tp_richcompare = richcompare,
    .tp_hash = PyObject_HashNotImplemented,
};

/* ------------------------------------------------------------ the tape (autodiff/tape.py, which stays its definition)
 * Node, _record_one_level and the backward pass's loop (_run_order: _run_vjp, fit, accumulate), for the common case
 * of each; every other case calls the Python function it stands in for.  Why C: a training step records and runs
 * back through ~40 ops per layer stack, and the Python loop cost ~1.5 us per record and cotangent. */
typedef struct {
    PyObject_HEAD
    PyObject *level, *lower, *vjp, *ans, *args, *kw, *parents, *head, *index, *g, *op;
    PyObject *weakrefs;
} Node;

static PyTypeObject NodeType;
static PyObject *meta_t, *shape_only, *no_ans, *py_fit, *py_accumulate, *py_run_vjp, *py_no_vjp, *py_gather,
    *py_toposort, *s_add, *zero;
#define IS_NODE(o) (Py_TYPE(o) == &NodeType)
#define N(o) ((Node *)(o))

/* a Node with every field given (new references taken) */
static PyObject *node_new(PyObject *level, PyObject *lower, PyObject *op, PyObject *vjp, PyObject *ans,
                          PyObject *args, PyObject *kw, PyObject *parents) {
    Node *n = PyObject_GC_New(Node, &NodeType);
    if (n == NULL) return NULL;
    PyObject *v[] = {level, lower, vjp, ans, args, kw, parents, Py_None, zero, Py_None, op};
    PyObject **f[] = {&n->level, &n->lower, &n->vjp, &n->ans, &n->args, &n->kw, &n->parents, &n->head, &n->index,
                      &n->g, &n->op};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) { Py_INCREF(v[i]); *f[i] = v[i]; }
    n->weakrefs = NULL;
    PyObject_GC_Track(n);
    return (PyObject *)n;
}

static PyObject *node_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *names[] = {"level", "lower", "op", "vjp", "ans", "args", "kw", "parents", NULL};
    PyObject *level, *lower, *op = Py_None, *vjp = Py_None, *ans = Py_None, *a = Py_None, *k = Py_None;
    PyObject *parents = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOOO:Node", names, &level, &lower, &op, &vjp, &ans, &a, &k,
                                     &parents))
        return NULL;
    if (parents == NULL) {
        parents = PyTuple_New(0);
        if (parents == NULL) return NULL;
    } else {
        Py_INCREF(parents);
    }
    PyObject *n = node_new(level, lower, op, vjp, ans, a, k, parents);
    Py_DECREF(parents);
    return n;
}

static int node_traverse(PyObject *self, visitproc visit, void *arg) {
    Node *n = N(self);
    Py_VISIT(n->level); Py_VISIT(n->lower); Py_VISIT(n->vjp); Py_VISIT(n->ans); Py_VISIT(n->args); Py_VISIT(n->kw);
    Py_VISIT(n->parents); Py_VISIT(n->head); Py_VISIT(n->index); Py_VISIT(n->g); Py_VISIT(n->op);
    return 0;
}

static int node_clear(PyObject *self) {
    Node *n = N(self);
    Py_CLEAR(n->level); Py_CLEAR(n->lower); Py_CLEAR(n->vjp); Py_CLEAR(n->ans); Py_CLEAR(n->args); Py_CLEAR(n->kw);
    Py_CLEAR(n->parents); Py_CLEAR(n->head); Py_CLEAR(n->index); Py_CLEAR(n->g); Py_CLEAR(n->op);
    return 0;
}

static void node_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, node_dealloc)  /* (a long chain of records frees without deep recursion) */
    if (N(self)->weakrefs != NULL) PyObject_ClearWeakRefs(self);
    node_clear(self);
    PyObject_GC_Del(self);
    Py_TRASHCAN_END
}

#define NODE_FIELD(name) {#name, T_OBJECT, offsetof(Node, name), 0, NULL}
static PyMemberDef node_members[] = {
    NODE_FIELD(level), NODE_FIELD(lower), NODE_FIELD(vjp), NODE_FIELD(ans), NODE_FIELD(args), NODE_FIELD(kw),
    NODE_FIELD(parents), NODE_FIELD(head), NODE_FIELD(index), NODE_FIELD(g), NODE_FIELD(op),
    {"__weaklistoffset__", T_PYSSIZET, offsetof(Node, weakrefs), READONLY, NULL},
    {NULL}
};

static PyTypeObject NodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minpy_array._speedups.Node",
    .tp_doc = "One traced value at one level: tape.Node's fields (its docstring says what each holds).",
    .tp_basicsize = sizeof(Node),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = node_tp_new,
    .tp_traverse = node_traverse,
    .tp_clear = node_clear,
    .tp_dealloc = node_dealloc,
    .tp_weaklistoffset = offsetof(Node, weakrefs),
    .tp_members = node_members,
};

/* does sequence v (a list or tuple, nested) hold a traced MinArray?  1, 0 */
static int has_traced(PyObject *v) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(v);
    PyObject **items = PySequence_Fast_ITEMS(v);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = items[i];
        if (IS_ARRAY(e)) {
            if (A(e)->node != Py_None) return 1;
        } else if ((PyList_CheckExact(e) || PyTuple_CheckExact(e)) && has_traced(e)) {
            return 1;
        }
    }
    return 0;
}

/* Meta(a) for a MinArray a (tape.Meta.__init__'s fields, set without its Python frame) */
static PyObject *meta_new(PyObject *a) {
    PyTypeObject *t = (PyTypeObject *)meta_t;
    PyObject *m = t->tp_alloc(t, 0), *shape = shape_of(NULL, a), *dt = dtype_of(NULL, a);
    if (m == NULL || shape == NULL || dt == NULL || PyObject_SetAttr(m, s_shape, shape) < 0 ||
        PyObject_SetAttr(m, s_dtype, dt) < 0 || PyObject_SetAttr(m, s__device, A(a)->device) < 0)
        Py_CLEAR(m);
    Py_XDECREF(shape);
    Py_XDECREF(dt);
    return m;
}

/* record_one(op, vjp, args, result, kw=None): tape._record_one_level (kw: keywords holding no array, kept in the
 * record as a copy, as tape.record keeps them) */
static PyObject *record_one(PyObject *self, PyObject *const *argv, Py_ssize_t nargv) {
    if (nargv < 4 || nargv > 5 || !IS_ARRAY(argv[3]) || meta_t == NULL ||
        (nargv == 5 && argv[4] != Py_None && !PyDict_CheckExact(argv[4]))) {
        PyErr_SetString(PyExc_TypeError, "record_one(op, vjp, args, result: MinArray, kw: dict | None) after "
                                         "install_tape()");
        return NULL;
    }
    PyObject *op = argv[0], *vjp = argv[1], *result = argv[3];
    PyObject *kw = nargv == 5 && argv[4] != Py_None && PyDict_GET_SIZE(argv[4]) ? argv[4] : NULL;
    PyObject *args = PySequence_Tuple(argv[2]);
    if (args == NULL) return NULL;
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    PyObject *lower = PyTuple_New(nargs), *parents = PyList_New(0), *out = NULL, *level = NULL;
    if (lower == NULL || parents == NULL) goto done;
    int light = PySet_Contains(shape_only, op);
    if (light < 0) goto done;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *a = PyTuple_GET_ITEM(args, i), *low;
        if (IS_ARRAY(a)) {
            PyObject *n = A(a)->node;
            if (n == Py_None) goto keep;
            if (!IS_NODE(n)) goto python;
            if (level != NULL) {
                int ne = PyObject_RichCompareBool(N(n)->level, level, Py_NE);
                if (ne < 0) goto done;
                if (ne) goto python;
            }
            low = N(n)->lower;
            if (low == Py_None) {
                low = light ? meta_new(a) : wrap_new(A(a)->data, A(a)->device, Py_False);
            } else if (!IS_ARRAY(low) || A(low)->node != Py_None) {
                goto python;
            } else if (light) {
                low = meta_new(low);
            } else {
                Py_INCREF(low);
            }
            if (low == NULL) goto done;
            PyTuple_SET_ITEM(lower, i, low);
            level = N(n)->level;
            PyObject *p = Py_BuildValue("(n()O)", i, n);
            if (p == NULL || PyList_Append(parents, p) < 0) { Py_XDECREF(p); goto done; }
            Py_DECREF(p);
            continue;
        } else if ((PyList_CheckExact(a) || PyTuple_CheckExact(a)) && has_traced(a)) {
            goto python;
        }
    keep:
        Py_INCREF(a);
        PyTuple_SET_ITEM(lower, i, a);
    }
    int drop = light;
    if (!drop) {
        drop = PySet_Contains(no_ans, op);
        if (drop < 0) goto done;
    }
    PyObject *pt = PyList_AsTuple(parents);
    if (pt == NULL) goto done;
    PyObject *kwl = kw != NULL ? PyDict_Copy(kw) : (Py_INCREF(Py_None), Py_None);
    if (kwl == NULL) { Py_DECREF(pt); goto done; }
    PyObject *node = node_new(level != NULL ? level : zero, Py_None, op, vjp, drop ? Py_None : result, lower,
                              kwl, pt);
    Py_DECREF(pt);
    Py_DECREF(kwl);
    if (node == NULL) goto done;
    out = wrap_new(A(result)->data, A(result)->device, A(result)->face);
    if (out == NULL) { Py_DECREF(node); goto done; }
    Py_SETREF(A(out)->node, node);
    goto done;
python:
    out = Py_None;
    Py_INCREF(out);
done:
    Py_DECREF(args);
    Py_XDECREF(lower);
    Py_XDECREF(parents);
    return out;
}

/* would PREPARE[0](op, args, kw) return args as they are?  Where prepare is grad.py's, for a call without keywords
 * or sequences among its arguments, of an op that takes none (containers.pack_args' first test); 1, 0 */
static int prepared_as_is(PyObject *op, PyObject *t, PyObject *k) {
    if (py_prepare == NULL || PyList_GET_ITEM(prepare_l, 0) != py_prepare || (k != NULL && PyDict_GET_SIZE(k)))
        return 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        PyObject *a = PyTuple_GET_ITEM(t, i);
        if (PyList_CheckExact(a) || PyTuple_CheckExact(a)) return 0;
    }
    int in = PyDict_Contains(sequences, op);
    if (in < 0) PyErr_Clear();
    return in == 0;
}

/* RECORDER[0](op, args, kw, res) (res: the untraced result of a call with a traced argument, a new reference is
 * returned): grad.py's _recorder for an op with a VJP that returns one array (integer and boolean results carry no
 * gradient), called without keywords or, for an op that is not a ufunc's call (whose keywords the recorder checks),
 * with keywords holding no array (the fast paths' calls); every other case by the recorder itself */
static PyObject *record_traced(PyObject *op, PyObject *t, PyObject *k, PyObject *res) {
    PyObject *rec = PyList_GET_ITEM(recorder_l, 0);
    int has_kw = k != NULL && PyDict_GET_SIZE(k);
    int kw_ok = !has_kw;
    if (has_kw && py_recorder != NULL) {
        kw_ok = PySet_Contains(ufunc_calls, op) == 0;
        PyErr_Clear();
    }
    if (py_recorder != NULL && rec == py_recorder && IS_ARRAY(res) && kw_ok) {
        PyObject *entry = PyDict_GetItemWithError(vjps, op);
        if (entry == NULL && PyErr_Occurred()) return NULL;
        if (entry != NULL) {
            PyObject *dt = dtype_of(NULL, res);
            PyObject *kind = dt != NULL ? PyObject_GetAttr(dt, s_kind) : NULL;
            Py_XDECREF(dt);
            if (kind == NULL) return NULL;
            int inexact = PyUnicode_CompareWithASCIIString(kind, "f") == 0 ||
                          PyUnicode_CompareWithASCIIString(kind, "c") == 0;
            Py_DECREF(kind);
            if (!inexact) { Py_INCREF(res); return res; }
            Py_INCREF(entry);
            PyObject *argv[5] = {op, entry, t, res, has_kw ? k : Py_None};
            PyObject *out = record_one(NULL, argv, 5);
            Py_DECREF(entry);
            if (out != Py_None) return out;
            Py_DECREF(out);
        }
    }
    PyObject *argv[4] = {op, t, k != NULL ? k : Py_None, res};
    Py_INCREF(rec);
    PyObject *out = PyObject_Vectorcall(rec, argv, 4, NULL);
    Py_DECREF(rec);
    return out;
}

static PyObject *install_recorder(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"recorder", "prepare", "vjps", "sequences", "ufunc_calls", NULL};
    PyObject *v[5];
    if (!PyArg_ParseTupleAndKeywords(args, kw, "$OOOOO:install_recorder", names, &v[0], &v[1], &v[2], &v[3], &v[4]))
        return NULL;
    if (!PyDict_Check(v[2]) || !PyDict_Check(v[3]) || !PyAnySet_Check(v[4])) {
        PyErr_SetString(PyExc_TypeError, "install_recorder: vjps and sequences are dicts, ufunc_calls a set");
        return NULL;
    }
    PyObject **dst[] = {&py_recorder, &py_prepare, &vjps, &sequences, &ufunc_calls};
    for (int i = 0; i < 5; i++) { Py_INCREF(v[i]); Py_XSETREF(*dst[i], v[i]); }
    Py_RETURN_NONE;
}

/* the shape, dtype and ndim properties' getters: the buffer's (a NumPy dtype for a device buffer's own) */
static PyObject *shape_of(PyObject *self, PyObject *a) {
    if (!PyObject_TypeCheck(a, &BaseType)) return PyErr_Format(PyExc_TypeError, "shape_of: not a MinArray");
    PyObject *s = PyObject_GetAttr(A(a)->data, s_shape);
    if (s == NULL || PyTuple_CheckExact(s)) return s;
    Py_SETREF(s, PySequence_Tuple(s));
    return s;
}

static PyObject *dtype_of(PyObject *self, PyObject *a) {
    if (!PyObject_TypeCheck(a, &BaseType)) return PyErr_Format(PyExc_TypeError, "dtype_of: not a MinArray");
    PyObject *d = A(a)->data, *bdt = PyObject_GetAttr(d, s_dtype);
    if (bdt == NULL || Py_TYPE(d) == (PyTypeObject *)ndarray_t) return bdt;
    PyObject *dt = dtypes_map != NULL ? PyDict_GetItemWithError(dtypes_map, bdt) : NULL;
    Py_DECREF(bdt);
    if (dt != NULL) { Py_INCREF(dt); return dt; }
    if (PyErr_Occurred()) return NULL;
    if (dtype_slow == NULL) return PyErr_Format(PyExc_RuntimeError, "dtype_of: install() has not run");
    return PyObject_CallOneArg(dtype_slow, a);
}

static PyObject *ndim_of(PyObject *self, PyObject *a) {
    if (!PyObject_TypeCheck(a, &BaseType)) return PyErr_Format(PyExc_TypeError, "ndim_of: not a MinArray");
    return PyObject_GetAttr(A(a)->data, s_ndim);
}

/* fit(ct, like): tape.fit; as it is where ct is a MinArray of the array face with like's shape and dtype, summed
 * over its leading axes where broadcasting added them (unbroadcast's first step, which is then its only one) */
static PyObject *fit(PyObject *ct, PyObject *like) {
    if (IS_ARRAY(ct) && A(ct)->face == Py_False && (IS_ARRAY(like) || Py_TYPE(like) == (PyTypeObject *)meta_t)) {
        PyObject *s1 = NULL, *s2 = NULL, *d1 = NULL, *d2 = NULL;
        int same = 0;
        if (IS_ARRAY(like) && Py_TYPE(A(ct)->data) == Py_TYPE(A(like)->data)) {  /* the buffers' own */
            s1 = PyObject_GetAttr(A(ct)->data, s_shape);
            s2 = PyObject_GetAttr(A(like)->data, s_shape);
            d1 = PyObject_GetAttr(A(ct)->data, s_dtype);
            d2 = PyObject_GetAttr(A(like)->data, s_dtype);
        } else {
            s1 = shape_of(NULL, ct);
            d1 = dtype_of(NULL, ct);
            s2 = PyObject_GetAttr(like, s_shape);
            d2 = PyObject_GetAttr(like, s_dtype);
        }
        Py_ssize_t extra = 0;  /* (leading axes that broadcasting added: unbroadcast's first sum) */
        if (s1 != NULL && s2 != NULL && d1 != NULL && d2 != NULL) {
            int dsame = PyObject_RichCompareBool(d1, d2, Py_EQ);
            same = dsame > 0 ? PyObject_RichCompareBool(s1, s2, Py_EQ) : dsame;
            if (same == 0 && dsame > 0 && PyTuple_Check(s1) && PyTuple_Check(s2) &&
                PyTuple_GET_SIZE(s1) > PyTuple_GET_SIZE(s2)) {
                extra = PyTuple_GET_SIZE(s1) - PyTuple_GET_SIZE(s2);
                for (Py_ssize_t i = 0; extra && i < PyTuple_GET_SIZE(s2); i++) {
                    int eq = PyObject_RichCompareBool(PyTuple_GET_ITEM(s1, extra + i), PyTuple_GET_ITEM(s2, i), Py_EQ);
                    if (eq < 0) same = -1;
                    if (eq <= 0) extra = 0;
                }
            }
        } else {
            same = -1;
        }
        Py_XDECREF(s1); Py_XDECREF(s2); Py_XDECREF(d1); Py_XDECREF(d2);
        if (same < 0) return NULL;
        if (same) { Py_INCREF(ct); return ct; }
        if (extra) {  /* the sum over the added axes (unbroadcast's), then fit as ever (a sum may change the dtype) */
            PyObject *axes = PyTuple_New(extra);
            if (axes == NULL) return NULL;
            for (Py_ssize_t i = 0; i < extra; i++) PyTuple_SET_ITEM(axes, i, PyLong_FromSsize_t(i));  /* (cached) */
            PyObject *argv[3] = {s_sum, ct, axes};
            PyObject *r = apply(NULL, argv, 3, NULL);
            Py_DECREF(axes);
            if (r == NULL) return NULL;
            PyObject *f = fit(r, like);
            Py_DECREF(r);
            return f;
        }
    }
    PyObject *argv[2] = {ct, like};
    return PyObject_Vectorcall(py_fit, argv, 2, NULL);
}

/* accumulate(node, g): tape.accumulate (stealing g); 0, -1 on error */
static int accumulate(PyObject *node, PyObject *g) {
    PyObject *r;
    if (IS_NODE(node) && N(node)->head == Py_None) {
        if (N(node)->g == Py_None) {
            Py_SETREF(N(node)->g, g);
            return 0;
        }
        PyObject *old = N(node)->g;
        Py_INCREF(old);
        PyObject *argv[3] = {s_add, old, g};
        r = apply(NULL, argv, 3, NULL);
        Py_DECREF(old);
        Py_DECREF(g);
        if (r == NULL) return -1;
        Py_SETREF(N(node)->g, r);
        return 0;
    }
    PyObject *argv[2] = {node, g};
    r = PyObject_Vectorcall(py_accumulate, argv, 2, NULL);
    Py_DECREF(g);
    if (r == NULL) return -1;
    Py_DECREF(r);
    return 0;
}

#define MAXPOS 16  /* the most positional arguments a record's VJP runs here (more: tape._run_vjp) */

/* tape._run_vjp(rec, g) for a record of kind 0 (one VJP maker per argument); 0, -1 on error */
static int run_vjp(PyObject *rec, PyObject *g) {
    Node *n = N(rec);
    PyObject *vjp = n->vjp, *args = n->args, *parents = n->parents;
    if (!PyTuple_CheckExact(vjp) || PyTuple_GET_SIZE(vjp) != 2 || PyTuple_GET_ITEM(vjp, 0) != zero ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(vjp, 1)) || !PyTuple_CheckExact(args) || PyTuple_GET_SIZE(args) > MAXPOS ||
        !PyTuple_CheckExact(parents) || !(n->kw == Py_None || PyDict_CheckExact(n->kw))) {
        PyObject *argv[2] = {rec, g};
        PyObject *r = PyObject_Vectorcall(py_run_vjp, argv, 2, NULL);
        Py_XDECREF(r);
        return r == NULL ? -1 : 0;
    }
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(parents); i++) {  /* (made by record: (pos, path, node)) */
        PyObject *e = PyTuple_GET_ITEM(parents, i);
        if (!PyTuple_CheckExact(e) || PyTuple_GET_SIZE(e) != 3 || !PyLong_CheckExact(PyTuple_GET_ITEM(e, 0)) ||
            !PyTuple_CheckExact(PyTuple_GET_ITEM(e, 1))) {
            PyErr_SetString(PyExc_TypeError, "a record's parents are (position, path, node) triples");
            return -1;
        }
    }
    PyObject *makers = PyTuple_GET_ITEM(vjp, 1), *ans = n->ans, *kw = n->kw == Py_None ? NULL : n->kw;
    PyObject *done[MAXPOS] = {NULL}, *callv[MAXPOS + 1];
    int status = -1;
    Py_INCREF(args); Py_INCREF(parents); Py_INCREF(ans); Py_XINCREF(kw);  /* (the record's, while Python runs) */
    callv[0] = ans;
    for (Py_ssize_t i = 0; i < nargs; i++) callv[i + 1] = PyTuple_GET_ITEM(args, i);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(parents); i++) {
        PyObject *e = PyTuple_GET_ITEM(parents, i), *path = PyTuple_GET_ITEM(e, 1), *p = PyTuple_GET_ITEM(e, 2);
        Py_ssize_t pos = PyLong_AsSsize_t(PyTuple_GET_ITEM(e, 0));
        if (pos < 0 || pos >= nargs) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "a record's parent position");
            goto done;
        }
        if (done[pos] == NULL) {
            PyObject *ct;
            if (pos >= PyTuple_GET_SIZE(makers)) {
                PyObject *pv = PyTuple_GET_ITEM(e, 0);
                PyObject *argv[2] = {rec, pv};
                PyObject *r = PyObject_Vectorcall(py_no_vjp, argv, 2, NULL);  /* (raises) */
                Py_XDECREF(r);
                if (r != NULL) PyErr_SetString(PyExc_TypeError, "no VJP for a traced argument");
                goto done;
            }
            PyObject *m = PyTuple_GET_ITEM(makers, pos);
            if (m == Py_None) {
                ct = Py_None;
                Py_INCREF(ct);
            } else {
                PyObject *f = PyObject_VectorcallDict(m, callv, nargs + 1, kw);
                if (f == NULL) goto done;
                ct = PyObject_CallOneArg(f, g);
                Py_DECREF(f);
                if (ct == NULL) goto done;
            }
            done[pos] = ct;
        }
        PyObject *ct = done[pos];
        if (ct == Py_None) continue;  /* None by declaration: no gradient flows through this argument */
        PyObject *a = PyTuple_GET_ITEM(args, pos);
        Py_INCREF(ct);
        Py_INCREF(a);
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(path); j++) {
            PyObject *k = PyTuple_GET_ITEM(path, j);
            Py_SETREF(ct, PyObject_GetItem(ct, k));
            if (ct == NULL) { Py_DECREF(a); goto done; }
            Py_SETREF(a, PyObject_GetItem(a, k));
            if (a == NULL) { Py_DECREF(ct); goto done; }
        }
        if (ct == Py_None) { Py_DECREF(ct); Py_DECREF(a); continue; }
        PyObject *fitted = fit(ct, a);
        Py_DECREF(ct);
        Py_DECREF(a);
        if (fitted == NULL || accumulate(p, fitted) < 0) goto done;
    }
    status = 0;
done:
    for (Py_ssize_t i = 0; i < MAXPOS; i++) Py_XDECREF(done[i]);
    Py_DECREF(args); Py_DECREF(parents); Py_DECREF(ans); Py_XDECREF(kw);
    return status;
}

/* toposort(roots): tape._toposort (the records reachable from roots, each before the records it consumed), the
 * same depth-first walk in the same order; the Python function answers where a record or edge is not the usual */
static PyObject *toposort(PyObject *self, PyObject *roots) {
    PyObject *seen = PySet_New(NULL), *order = PyList_New(0), *stack = PyList_New(0), *done = PyList_New(0);
    PyObject *res = NULL;
    if (seen == NULL || order == NULL || stack == NULL || done == NULL || !PyList_CheckExact(roots)) goto out;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(roots); i++)
        if (PyList_Append(stack, PyList_GET_ITEM(roots, i)) < 0 || PyList_Append(done, Py_False) < 0) goto out;
    while (PyList_GET_SIZE(stack)) {
        Py_ssize_t top = PyList_GET_SIZE(stack) - 1;
        PyObject *n = PyList_GET_ITEM(stack, top), *fin = PyList_GET_ITEM(done, top);
        Py_INCREF(n);
        if (PyList_SetSlice(stack, top, top + 1, NULL) < 0 || PyList_SetSlice(done, top, top + 1, NULL) < 0) {
            Py_DECREF(n);
            goto out;
        }
        int e = 0;
        if (fin == Py_True) {
            e = PyList_Append(order, n);
        } else if (!IS_NODE(n) || !PyTuple_CheckExact(N(n)->parents)) {
            Py_DECREF(n);
            goto python;
        } else {
            int was = PySet_Contains(seen, n);
            if (was < 0) e = -1;
            else if (!was) {
                e = PySet_Add(seen, n) < 0 || PyList_Append(stack, n) < 0 || PyList_Append(done, Py_True) < 0;
                PyObject *ps = N(n)->parents;
                for (Py_ssize_t i = 0; !e && i < PyTuple_GET_SIZE(ps); i++) {
                    PyObject *edge = PyTuple_GET_ITEM(ps, i);
                    if (!PyTuple_CheckExact(edge) || PyTuple_GET_SIZE(edge) != 3 ||
                        !IS_NODE(PyTuple_GET_ITEM(edge, 2))) {
                        Py_DECREF(n);
                        goto python;
                    }
                    PyObject *p = PyTuple_GET_ITEM(edge, 2), *h = N(p)->head;
                    PyObject *r = h != Py_None && PyObject_IsTrue(h) ? h : p;
                    int in = PySet_Contains(seen, r);
                    e = in < 0 || (!in && (PyList_Append(stack, r) < 0 || PyList_Append(done, Py_False) < 0));
                }
            }
        }
        Py_DECREF(n);
        if (e) goto out;
    }
    if (PyList_Reverse(order) == 0) { res = order; order = NULL; }
    goto out;
python:
    PyErr_Clear();
    res = PyObject_CallOneArg(py_toposort, roots);
out:
    Py_XDECREF(seen);
    Py_XDECREF(order);
    Py_XDECREF(stack);
    Py_XDECREF(done);
    return res;
}

/* run_order(order, retain): the loop of tape.backward over the records in order (tape._run_order) */
static PyObject *run_order(PyObject *self, PyObject *const *argv, Py_ssize_t nargv) {
    if (nargv != 2 || !PyList_CheckExact(argv[0]) || py_gather == NULL) {
        PyErr_SetString(PyExc_TypeError, "run_order(order: list, retain) after install_tape()");
        return NULL;
    }
    PyObject *order = argv[0];
    int retain = PyObject_IsTrue(argv[1]);
    if (retain < 0) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(order); i++) {
        PyObject *rec = PyList_GET_ITEM(order, i);
        if (!IS_NODE(rec)) {
            PyErr_SetString(PyExc_TypeError, "run_order: the tape's records are Nodes");
            return NULL;
        }
        Py_INCREF(rec);
        Node *n = N(rec);
        if (n->vjp == Py_None) { Py_DECREF(rec); continue; }  /* a leaf: keeps its g for the caller */
        PyObject *g = n->g;
        n->g = Py_None;
        Py_INCREF(Py_None);
        if (PyList_CheckExact(g)) {
            PyObject *gv[3] = {rec, g, retain ? Py_True : Py_False};
            Py_SETREF(g, PyObject_Vectorcall(py_gather, gv, 3, NULL));
            if (g == NULL) { Py_DECREF(rec); return NULL; }
        }
        int err = g != Py_None ? PyObject_IsTrue(n->parents) : 0;
        if (err > 0) err = run_vjp(rec, g);
        Py_DECREF(g);
        if (err < 0) { Py_DECREF(rec); return NULL; }
        if (!retain) {
            PyObject *empty = PyTuple_New(0);
            if (empty == NULL) { Py_DECREF(rec); return NULL; }
            Py_INCREF(Py_None); Py_SETREF(n->ans, Py_None);
            Py_INCREF(Py_None); Py_SETREF(n->args, Py_None);
            Py_INCREF(Py_None); Py_SETREF(n->kw, Py_None);
            Py_INCREF(Py_None); Py_SETREF(n->lower, Py_None);
            Py_SETREF(n->parents, empty);
        }
        Py_DECREF(rec);
    }
    Py_RETURN_NONE;
}

static PyObject *install_tape(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"meta", "shape_only", "no_ans", "fit", "accumulate", "run_vjp", "no_vjp", "gather",
                            "toposort", NULL};
    PyObject *v[9];
    if (!PyArg_ParseTupleAndKeywords(args, kw, "$OOOOOOOOO:install_tape", names, &v[0], &v[1], &v[2], &v[3], &v[4],
                                     &v[5], &v[6], &v[7], &v[8]))
        return NULL;
    if (!PyType_Check(v[0]) || !PySet_Check(v[1]) || !PySet_Check(v[2])) {
        PyErr_SetString(PyExc_TypeError, "install_tape: meta is a class, shape_only and no_ans are sets");
        return NULL;
    }
    PyObject **dst[] = {&meta_t, &shape_only, &no_ans, &py_fit, &py_accumulate, &py_run_vjp, &py_no_vjp,
                        &py_gather, &py_toposort};
    for (int i = 0; i < 9; i++) { Py_INCREF(v[i]); Py_XSETREF(*dst[i], v[i]); }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------ module functions */
static PyObject *wrap(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "wrap(data, device, face=False)");
        return NULL;
    }
    return wrap_new(args[0], args[1], nargs == 3 ? args[2] : Py_False);
}

static PyObject *set_slot(PyObject *self, PyObject *args) {
    const char *name;
    PyObject *op, *kernel, *slow, *rslow = Py_None, *islow = Py_None;
    if (!PyArg_ParseTuple(args, "sOOO|OO", &name, &op, &kernel, &slow, &rslow, &islow)) return NULL;
    for (int s = 0; s < NSLOTS; s++) {
        if (strcmp(name, slot_names[s]) == 0) {
            Slot *sl = &slots[s];
            PyObject *v[5] = {op, kernel, slow, rslow, islow};
            PyObject **f[5] = {&sl->op, &sl->kernel, &sl->slow, &sl->rslow, &sl->islow};
            for (int i = 0; i < 5; i++) {
                PyObject *o = v[i] == Py_None && i != 2 ? NULL : v[i];
                Py_XINCREF(o);
                Py_XSETREF(*f[i], o);
            }
            Py_RETURN_NONE;
        }
    }
    PyErr_Format(PyExc_KeyError, "no slot %s", name);
    return NULL;
}

static PyObject *install(PyObject *self, PyObject *args, PyObject *kw) {
    static const char *names[] = {"CPU", "ndarray", "generic", "policy_var", "global_", "auto_cpu", "host",
                                  "host_counter", "default_device", "host_result", "lent_call", "here", "miss",
                                  "record_host", "np_kernels", "plain_key", "f64", "f32", "i64", "in_place",
                                  "prepare", "recorder", "plans", "device_plan", "rules", "numpy_backend", "dtypes",
                                  "count", "device_result", "tls", "dtype_slow", "by_signature", "key_types", "seen",
                                  "lent", "lent_result", "empty_like", "errstate_default", "flag_operands",
                                  "default_errstate"};
    PyObject **dst[] = {&CPU, &ndarray_t, &generic_t, &policy_var, &global_d, &auto_cpu, &host, &host_counter,
                        &default_device, &host_result, &lent_call, &here, &miss, &record_host, &np_kernels,
                        &plain_key, &F64, &F32, &I64, &in_place_ops, &prepare_l, &recorder_l, &plans, &device_plan,
                        &rules, &numpy_backend, &dtypes_map, &count_fn, &device_result, &tls, &dtype_slow,
                        &by_signature, &key_types, &seen, &lent, &lent_result, &empty_like, &errstate_default,
                        &flag_operands, &default_errstate};
    enum { N = sizeof(names) / sizeof(names[0]) };
    PyObject *v[N];
    PyObject *m = kw != NULL ? PyDict_GetItemString(kw, "MinArray") : NULL;
    PyObject *f32_max = kw != NULL ? PyDict_GetItemString(kw, "f32_max") : NULL;
    if (PyTuple_GET_SIZE(args) || m == NULL || f32_max == NULL || !PyType_Check(m) ||
        !PyType_IsSubtype((PyTypeObject *)m, &BaseType) || PyDict_GET_SIZE(kw) != N + 2) {
        PyErr_SetString(PyExc_TypeError, "install(MinArray=<a subclass of Base>, f32_max=..., and each of the "
                                         "engine's parts by name)");
        return NULL;
    }
    for (int i = 0; i < N; i++) {
        v[i] = PyDict_GetItemString(kw, names[i]);
        if (v[i] == NULL) return PyErr_Format(PyExc_TypeError, "install: missing %s", names[i]);
    }
    PyObject *prepare = PyDict_GetItemString(kw, "prepare"), *recorder = PyDict_GetItemString(kw, "recorder");
    if (!PyList_CheckExact(prepare) || PyList_GET_SIZE(prepare) != 1 || !PyList_CheckExact(recorder) ||
        PyList_GET_SIZE(recorder) != 1) {
        PyErr_SetString(PyExc_TypeError, "install: prepare and recorder are one-item lists (the engine's hooks)");
        return NULL;
    }
    PyObject *sig = PyDict_GetItemString(kw, "by_signature"), *kt = PyDict_GetItemString(kw, "key_types");
    if (!PyDict_CheckExact(PyDict_GetItemString(kw, "seen")) || !PyDict_CheckExact(PyDict_GetItemString(kw, "lent"))) {
        PyErr_SetString(PyExc_TypeError, "install: seen and lent are dicts (_calibrate.SEEN, _dispatch.LENT)");
        return NULL;
    }
    if (!PySet_Check(sig) || !PyTuple_CheckExact(kt) || PyTuple_GET_SIZE(kt) != 2 ||
        !PyType_Check(PyTuple_GET_ITEM(kt, 0)) || !PyType_Check(PyTuple_GET_ITEM(kt, 1))) {
        PyErr_SetString(PyExc_TypeError, "install: by_signature is a set, key_types (numpy.dtype, numpy.ufunc)");
        return NULL;
    }
    double limit = PyFloat_AsDouble(f32_max);
    if (limit == -1.0 && PyErr_Occurred()) return NULL;
    F32_MAX = limit;
    for (int i = 0; i < N; i++) { Py_INCREF(v[i]); Py_XSETREF(*dst[i], v[i]); }
    Py_INCREF(m);
    Py_XSETREF(MinArray, (PyTypeObject *)m);
    Py_RETURN_NONE;
}

/* 'e', 'f' or 'd' for a buffer of native float16/32/64 values (or of complex64/128 ones, *complex then set),
 * from its format and item size; 0 for anything else */
static char float_format(Py_buffer *v, int *complex) {
    const char *f = v->format ? v->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    *complex = *f == 'Z';
    if (*complex) f++;
    Py_ssize_t size = *complex ? v->itemsize / 2 : v->itemsize;
    if (f[0] == '\0' || f[1] != '\0') return 0;
    return (f[0] == 'e' && size == 2) || (f[0] == 'f' && size == 4) || (f[0] == 'd' && size == 8) ? f[0] : 0;
}

/* ------------------------------------------------------------ finiteness of a float buffer
 * _guards._finite's question (is every value of a borrowed product finite?) in one pass over the bits: a value is
 * inf or NaN exactly when its exponent bits are all ones.  Integer operations only (no float exceptions, no
 * ordering), so the compiler can vectorise the loop; a block at a time, to stop early at a non-finite value. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define WIDE_VECTORS __attribute__((target_clones("avx2", "default"))) /* (the loop 2x wider where the cpu has it) */
#else
#define WIDE_VECTORS
#endif
#define ALL_FINITE(T, MASK, LOW, TOP)                                                                                 \
    WIDE_VECTORS static int all_finite_##T(const T *p, Py_ssize_t n) {                                                \
        for (Py_ssize_t start = 0; start < n; start += 4096) {                                                        \
            Py_ssize_t end = n - start < 4096 ? n : start + 4096;                                                     \
            T acc = 0; /* all-ones exponent bits carry into the top bit when one more is added */                     \
            for (Py_ssize_t i = start; i < end; i++) acc |= (T)((p[i] & (MASK)) + (LOW));                             \
            if (acc & (TOP)) return 0;                                                                                \
        }                                                                                                             \
        return 1;                                                                                                     \
    }
ALL_FINITE(uint16_t, 0x7c00u, 0x0400u, 0x8000u)
ALL_FINITE(uint32_t, 0x7f800000u, 0x00800000u, 0x80000000u)
ALL_FINITE(uint64_t, 0x7ff0000000000000ull, 0x0010000000000000ull, 0x8000000000000000ull)

static PyObject *all_finite(PyObject *self, PyObject *arg) {
    /* True / False for a C-contiguous buffer of float16/32/64 or complex64/128 values; None for anything else (the
     * caller's Python check answers then) */
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    int complex;
    char c = float_format(&view, &complex);
    if (!c) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    Py_ssize_t size = complex ? view.itemsize / 2 : view.itemsize;
    Py_ssize_t n = view.len / size;  /* (values, or the parts of complex ones) */
    PyThreadState *ts = n >= (1 << 16) ? PyEval_SaveThread() : NULL; /* (a long pass lets other threads run) */
    int ok = c == 'e' ? all_finite_uint16_t(view.buf, n) : c == 'f' ? all_finite_uint32_t(view.buf, n)
                                                                   : all_finite_uint64_t(view.buf, n);
    if (ts != NULL) PyEval_RestoreThread(ts);
    PyBuffer_Release(&view);
    return PyBool_FromLong(ok);
}

/* ------------------------------------------------------------ a backend's kernel lent to the cpu's NumPy buffers
 * Lent(kernel, alias, convert, back, library_type, check=None, decline=None): ops/_lend.lent's callable in C (the
 * Python function stays the definition, tests/test_native.py holds the two to the same outcomes): each positional
 * argument that is a NumPy array is handed to the kernel as alias(a) (the library's object over the same memory)
 * where NumPy lends a writable buffer and alias accepts it, else as convert(a) (which copies where it must);
 * every other argument as convert(a); keywords as they are.  A result (or each item of a tuple result) of
 * library_type comes back as back(r); where check(result) is false, decline() is raised. */
typedef struct {
    PyObject_HEAD
    PyObject *kernel, *alias, *convert, *back, *lib_type, *check, *decline;
    vectorcallfunc vectorcall;
} Lent;

/* raise decline() (a lent kernel's Decline: the engine reruns the call on NumPy) */
static void raise_decline(PyObject *decline) {
    PyObject *e = PyObject_CallNoArgs(decline);
    if (e != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(e), e);
        Py_DECREF(e);
    }
}

static PyObject *lent_in(Lent *l, PyObject *a) {
    if (ndarray_t != NULL && Py_TYPE(a) == (PyTypeObject *)ndarray_t) {
        Py_buffer v;
        if (PyObject_GetBuffer(a, &v, PyBUF_STRIDES | PyBUF_WRITABLE) == 0) {
            PyBuffer_Release(&v);
            PyObject *t = PyObject_CallOneArg(l->alias, a);
            if (t != NULL) return t;
        }
        PyErr_Clear();  /* (read-only, or a layout or dtype alias refuses: convert answers, or raises its error) */
    }
    return PyObject_CallOneArg(l->convert, a);
}

static PyObject *lent_out(Lent *l, PyObject *r) {
    int is = PyObject_IsInstance(r, l->lib_type);
    if (is < 0) { Py_DECREF(r); return NULL; }
    if (!is) return r;
    PyObject *n = PyObject_CallOneArg(l->back, r);
    Py_DECREF(r);
    return n;
}

static PyObject *lent_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Lent *l = (Lent *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf), nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw > 16) return PyErr_Format(PyExc_TypeError, "a lent kernel takes at most 16 arguments");
    PyObject *conv[16] = {NULL};
    Py_ssize_t done = 0;
    PyObject *r = NULL;
    for (; done < nargs; done++) {
        PyObject *a = args[done];
        int plain = a == Py_None || PyFloat_CheckExact(a) || PyLong_CheckExact(a) || PyBool_Check(a) ||
                    PyUnicode_CheckExact(a) || PyCallable_Check(a);
        conv[done] = plain ? (Py_INCREF(a), a) : lent_in(l, a);
        if (conv[done] == NULL) goto out;
    }
    for (Py_ssize_t i = 0; i < nkw; i++) conv[nargs + i] = args[nargs + i];  /* (borrowed: keywords as given) */
    r = PyObject_Vectorcall(l->kernel, conv, nargs, kwnames);
    if (r == NULL) goto out;
    if (PyTuple_CheckExact(r)) {
        Py_ssize_t n = PyTuple_GET_SIZE(r);
        PyObject *t = PyTuple_New(n);
        for (Py_ssize_t i = 0; t != NULL && i < n; i++) {
            PyObject *v = PyTuple_GET_ITEM(r, i);
            Py_INCREF(v);
            v = lent_out(l, v);
            if (v == NULL) Py_CLEAR(t);
            else PyTuple_SET_ITEM(t, i, v);
        }
        Py_SETREF(r, t);
    } else {
        r = lent_out(l, r);
    }
    if (r != NULL && l->check != Py_None) {
        PyObject *ok = PyObject_CallOneArg(l->check, r);
        int t = ok == NULL ? -1 : PyObject_IsTrue(ok);
        Py_XDECREF(ok);
        if (t <= 0) {
            Py_CLEAR(r);
            if (t == 0) raise_decline(l->decline);
        }
    }
out:
    for (Py_ssize_t i = 0; i < done; i++) Py_DECREF(conv[i]);
    return r;
}

static PyObject *lent_call_py(PyObject *self, PyObject *args, PyObject *kw) {
    return PyVectorcall_Call(self, args, kw);
}

static int lent_init(PyObject *self, PyObject *args, PyObject *kwds) {
    Lent *l = (Lent *)self;
    PyObject *kernel, *alias, *convert, *back, *lib_type, *check = Py_None, *decline = Py_None;
    static char *names[] = {"kernel", "alias", "convert", "back", "library_type", "check", "decline", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO|OO", names, &kernel, &alias, &convert, &back, &lib_type,
                                     &check, &decline))
        return -1;
    if (check != Py_None && !PyCallable_Check(decline)) {
        PyErr_SetString(PyExc_TypeError, "Lent: a check needs a decline to raise");
        return -1;
    }
    PyObject *v[7] = {kernel, alias, convert, back, lib_type, check, decline};
    PyObject **dst[7] = {&l->kernel, &l->alias, &l->convert, &l->back, &l->lib_type, &l->check, &l->decline};
    for (int i = 0; i < 7; i++) { Py_INCREF(v[i]); Py_XSETREF(*dst[i], v[i]); }
    l->vectorcall = lent_vectorcall;
    return 0;
}

static int lent_traverse(PyObject *self, visitproc visit, void *arg) {
    Lent *l = (Lent *)self;
    Py_VISIT(l->kernel); Py_VISIT(l->alias); Py_VISIT(l->convert); Py_VISIT(l->back); Py_VISIT(l->lib_type);
    Py_VISIT(l->check); Py_VISIT(l->decline);
    return 0;
}

static int lent_clear(PyObject *self) {
    Lent *l = (Lent *)self;
    Py_CLEAR(l->kernel); Py_CLEAR(l->alias); Py_CLEAR(l->convert); Py_CLEAR(l->back); Py_CLEAR(l->lib_type);
    Py_CLEAR(l->check); Py_CLEAR(l->decline);
    return 0;
}

static void lent_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    lent_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyMemberDef lent_members[] = {
    {"kernel", T_OBJECT, offsetof(Lent, kernel), READONLY, NULL},
    {"check", T_OBJECT, offsetof(Lent, check), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Lent, vectorcall), READONLY, NULL},
    {NULL}
};

static PyTypeObject LentType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minpy_array._speedups.Lent",
    .tp_doc = "Lent(kernel, alias, convert, back, library_type, check=None, decline=None): ops/_lend.lent in C",
    .tp_basicsize = sizeof(Lent),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = PyType_GenericNew,
    .tp_init = lent_init,
    .tp_call = lent_call_py,
    .tp_vectorcall_offset = offsetof(Lent, vectorcall),
    .tp_traverse = lent_traverse,
    .tp_clear = lent_clear,
    .tp_dealloc = lent_dealloc,
    .tp_members = lent_members,
};

/* ------------------------------------------------------------ a BLAS GEMM lent to the cpu's NumPy buffers
 * Gemm(sgemm, dgemm, set_threads, threads, empty, fallback, decline, transposes): ops/_blas.gemm's callable in C (the
 * Python function stays the definition, tests/test_native.py holds the two to the same outcomes).  Called as
 * (a, b) or, with `transposes`, as (a, b, ta, tb): op(a) @ op(b), op a transpose where its flag says, computed by
 * the Fortran-interface GEMM at address sgemm (float32) or dgemm (float64) into a new C-contiguous array from
 * empty(shape, "f" or "d"), each operand read in place (C or Fortran order, or rows of a wider one); a result with a
 * value that is not finite raises decline() (ON_HOST's check of products; read off the operands where they are
 * smaller than the result and bound it, product_bounded).  Anything else goes to fallback(*args,
 * **kw) as called.  Sizes go in 64-bit slots holding values under 2**31, so that a GEMM of 32-bit or of 64-bit
 * integers reads them alike (little-endian); set_threads (MKL's MKL_Set_Num_Threads_Local, or 0) sets the
 * library's threads of the calling thread to `threads` for the call. */
typedef void (*gemm_fn)(const char *, const char *, const long long *, const long long *, const long long *,
                        const void *, const void *, const long long *, const void *, const long long *, const void *,
                        void *, const long long *);
typedef int (*threads_fn)(int);

typedef struct {
    PyObject_HEAD
    gemm_fn s, d;
    threads_fn set_threads;
    int threads, transposes;
    PyObject *empty, *fallback, *decline;
    vectorcallfunc vectorcall;
} Gemm;

/* An operand as a row-major matrix: buffer, rows, columns, leading dimension (elements), and whether op() reads its
 * transpose.  0 where its layout is none of these. */
typedef struct { char *buf; long long rows, cols, ld; int t; } operand;

static int operand_of(Py_buffer *v, int t, operand *o) {
    Py_ssize_t isz = v->itemsize, r = v->shape[0], c = v->shape[1], s0 = v->strides[0], s1 = v->strides[1];
    if (c == 1) s1 = isz;  /* (a length-1 axis's stride is any) */
    if (r == 1) s0 = c * isz;
    if (s0 <= 0 || s1 <= 0 || s0 % isz || s1 % isz || (uintptr_t)v->buf % isz) return 0;
    if (s1 == isz && s0 / isz >= c) {
        *o = (operand){v->buf, r, c, s0 / isz, t};
        return 1;
    }
    if (s0 == isz && s1 / isz >= r) {  /* Fortran order: the row-major transpose */
        *o = (operand){v->buf, c, r, s1 / isz, !t};
        return 1;
    }
    return 0;
}

/* The largest magnitude's bits (integer ordering is the magnitudes' for non-negative floats; inf and NaN above
 * every finite value) over a row-major operand's rows, for product_bounded. */
#define MAX_BITS(T, ABS)                                                                                              \
    WIDE_VECTORS static T max_bits_##T(const T *p, long long rows, long long cols, long long ld) {                    \
        T top = 0;                                                                                                    \
        for (long long i = 0; i < rows; i++) {                                                                        \
            const T *q = p + i * ld;                                                                                  \
            for (long long j = 0; j < cols; j++) {                                                                    \
                T v = q[j] & (ABS);                                                                                   \
                top = v > top ? v : top;                                                                              \
            }                                                                                                         \
        }                                                                                                             \
        return top;                                                                                                   \
    }
MAX_BITS(uint32_t, 0x7fffffffu)
MAX_BITS(uint64_t, 0x7fffffffffffffffull)

/* Is op(x) @ op(y) certainly finite from its operands alone, where they hold fewer values than the result (ops/_blas
 * _bounded's rule: every value finite, and 2 k max|x| max|y| under the dtype's largest value, for k < 2**22)? */
static int product_bounded(char f, const operand *x, const operand *y, long long m, long long n, long long k) {
    if ((double)m * k + (double)k * n >= (double)m * n || k >= (1LL << 22)) return 0;
    double bound = (double)k;
    const operand *o[2] = {x, y};
    for (int i = 0; i < 2; i++) {
        if (f == 'f') {
            uint32_t bits = max_bits_uint32_t((const uint32_t *)o[i]->buf, o[i]->rows, o[i]->cols, o[i]->ld);
            float top;
            if (bits >= 0x7f800000u) return 0;
            memcpy(&top, &bits, sizeof top);
            bound *= top;
        } else {
            uint64_t bits = max_bits_uint64_t((const uint64_t *)o[i]->buf, o[i]->rows, o[i]->cols, o[i]->ld);
            double top;
            if (bits >= 0x7ff0000000000000ull) return 0;
            memcpy(&top, &bits, sizeof top);
            bound *= top;
        }
    }
    return 2.0 * bound < (f == 'f' ? FLT_MAX : DBL_MAX);
}

static PyObject *gemm_call(Gemm *g, PyObject *a, PyObject *b, int ta, int tb) {
    Py_buffer v[2];
    int got = 0;
    PyObject *r = NULL, *res = Py_None;  /* (Py_None: the fallback answers) */
    if (ndarray_t == NULL || Py_TYPE(a) != (PyTypeObject *)ndarray_t || Py_TYPE(b) != (PyTypeObject *)ndarray_t)
        goto out;
    for (; got < 2; got++) {
        if (PyObject_GetBuffer(got ? b : a, &v[got], PyBUF_STRIDES | PyBUF_FORMAT) < 0) {
            PyErr_Clear();
            goto out;
        }
    }
    int cx0, cx1;
    char f = float_format(&v[0], &cx0);
    if ((f != 'f' && f != 'd') || cx0 || float_format(&v[1], &cx1) != f || cx1 || v[0].ndim != 2 || v[1].ndim != 2)
        goto out;
    gemm_fn fn = f == 'f' ? g->s : g->d;
    operand x, y;
    if (fn == NULL || !operand_of(&v[0], ta, &x) || !operand_of(&v[1], tb, &y)) goto out;
    long long m = x.t ? x.cols : x.rows, k = x.t ? x.rows : x.cols, n = y.t ? y.rows : y.cols;
    if ((y.t ? y.cols : y.rows) != k || m <= 0 || n <= 0 || k <= 0 || m >= INT_MAX || n >= INT_MAX || k >= INT_MAX ||
        x.ld >= INT_MAX || y.ld >= INT_MAX)
        goto out;
    PyObject *shape = Py_BuildValue("(LL)", m, n), *code = PyUnicode_FromStringAndSize(&f, 1);
    PyObject *argv[2] = {shape, code};
    r = shape != NULL && code != NULL ? PyObject_Vectorcall(g->empty, argv, 2, NULL) : NULL;
    Py_XDECREF(shape);
    Py_XDECREF(code);
    if (r == NULL) { res = NULL; goto out; }
    Py_buffer out;
    if (PyObject_GetBuffer(r, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) { Py_CLEAR(r); res = NULL; goto out; }
    /* C (m x n, row-major) is C^T (n x m) in column-major terms: op(b)^T @ op(a)^T, each row-major buffer read as
     * its column-major transpose */
    double one_d = 1.0, zero_d = 0.0;
    float one_f = 1.0f, zero_f = 0.0f;
    const void *alpha = f == 'f' ? (void *)&one_f : (void *)&one_d;
    const void *beta = f == 'f' ? (void *)&zero_f : (void *)&zero_d;
    long long ldc = n;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    int before = g->set_threads != NULL ? g->set_threads(g->threads) : 0;
    fn(y.t ? "T" : "N", x.t ? "T" : "N", &n, &m, &k, alpha, y.buf, &y.ld, x.buf, &x.ld, beta, out.buf, &ldc);
    if (g->set_threads != NULL) g->set_threads(before);
    ok = product_bounded(f, &x, &y, m, n, k) ||
         (f == 'f' ? all_finite_uint32_t(out.buf, m * n) : all_finite_uint64_t(out.buf, m * n));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&out);
    if (ok) {
        res = r;
        r = NULL;
    } else {
        res = NULL;
        raise_decline(g->decline);
    }
out:
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    Py_XDECREF(r);
    if (res == Py_None) Py_INCREF(res);
    return res;
}

static PyObject *gemm_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Gemm *g = (Gemm *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if ((kwnames == NULL || !PyTuple_GET_SIZE(kwnames)) && nargs == (g->transposes ? 4 : 2) &&
        (!g->transposes || (PyBool_Check(args[2]) && PyBool_Check(args[3])))) {
        PyObject *r = gemm_call(g, args[0], args[1], g->transposes && args[2] == Py_True,
                                g->transposes && args[3] == Py_True);
        if (r != Py_None) return r;
        Py_DECREF(r);
    }
    return PyObject_Vectorcall(g->fallback, args, nargsf, kwnames);
}

static PyObject *gemm_call_py(PyObject *self, PyObject *args, PyObject *kw) {
    return PyVectorcall_Call(self, args, kw);
}

static int gemm_init(PyObject *self, PyObject *args, PyObject *kwds) {
    Gemm *g = (Gemm *)self;
    unsigned long long s, d, t;
    int threads, transposes;
    PyObject *empty, *fallback, *decline;
    static char *names[] = {"sgemm", "dgemm", "set_threads", "threads", "empty", "fallback", "decline", "transposes",
                            NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "KKKiOOOp", names, &s, &d, &t, &threads, &empty, &fallback,
                                     &decline, &transposes))
        return -1;
    g->s = (gemm_fn)(uintptr_t)s;
    g->d = (gemm_fn)(uintptr_t)d;
    g->set_threads = (threads_fn)(uintptr_t)t;
    g->threads = threads;
    g->transposes = transposes;
    PyObject *v[3] = {empty, fallback, decline};
    PyObject **dst[3] = {&g->empty, &g->fallback, &g->decline};
    for (int i = 0; i < 3; i++) { Py_INCREF(v[i]); Py_XSETREF(*dst[i], v[i]); }
    g->vectorcall = gemm_vectorcall;
    return 0;
}

static int gemm_traverse(PyObject *self, visitproc visit, void *arg) {
    Gemm *g = (Gemm *)self;
    Py_VISIT(g->empty); Py_VISIT(g->fallback); Py_VISIT(g->decline);
    return 0;
}

static int gemm_clear(PyObject *self) {
    Gemm *g = (Gemm *)self;
    Py_CLEAR(g->empty); Py_CLEAR(g->fallback); Py_CLEAR(g->decline);
    return 0;
}

static void gemm_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    gemm_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyMemberDef gemm_members[] = {
    {"fallback", T_OBJECT, offsetof(Gemm, fallback), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Gemm, vectorcall), READONLY, NULL},
    {NULL}
};

static PyTypeObject GemmType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "minpy_array._speedups.Gemm",
    .tp_doc = "Gemm(sgemm, dgemm, set_threads, threads, empty, fallback, decline, transposes): ops/_blas.gemm in C",
    .tp_basicsize = sizeof(Gemm),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = PyType_GenericNew,
    .tp_init = gemm_init,
    .tp_call = gemm_call_py,
    .tp_vectorcall_offset = offsetof(Gemm, vectorcall),
    .tp_traverse = gemm_traverse,
    .tp_clear = gemm_clear,
    .tp_dealloc = gemm_dealloc,
    .tp_members = gemm_members,
};

/* ------------------------------------------------------------ the maximum/minimum VJP in one pass
 * numpy_ops._select's answer (g where x wins over y, g / 2 where they tie, else 0, each as g times 1, 1/2 or 0 in g's
 * dtype, so NaN and inf in g and signed zeros come out as NumPy's multiply gives them) written into out, for
 * C-contiguous float32/float64 buffers of one dtype and shape (y a number exactly of that dtype, or an array of one
 * element or of the shape); False for anything else (the Python composition answers).  One function per dtype, side
 * and kind of y, each comparison choosing a constant and the two added: so that the compiler vectorises every loop (a
 * branch per element on ReLU's random signs made the pass 4-7x slower than NumPy's composition; noinline keeps the
 * compiler from merging the loops back into one with branches). */
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif
#define SELECT_PASS(T, NAME, Y, CMP)                                                                                  \
    WIDE_VECTORS NOINLINE static void select_##T##_##NAME(T *o, const T *g, const T *x, const T *y, T ys,           \
                                                          Py_ssize_t n) {                                            \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                         \
            T wins = x[i] CMP Y ? (T)1 : (T)0, tie = x[i] == Y ? (T)0.5 : (T)0;                                      \
            o[i] = g[i] * (wins + tie);                                                                              \
        }                                                                                                            \
    }
#define SELECT_LOOP(T)                                                                                                \
    SELECT_PASS(T, gt, y[i], >)                                                                                      \
    SELECT_PASS(T, lt, y[i], <)                                                                                      \
    SELECT_PASS(T, gt_scalar, ys, >)                                                                                 \
    SELECT_PASS(T, lt_scalar, ys, <)                                                                                 \
    static void select_##T(T *o, const T *g, const T *x, const T *y, Py_ssize_t yn, T ys, int greater,              \
                           Py_ssize_t n) {                                                                           \
        (yn > 1 ? greater ? select_##T##_gt : select_##T##_lt                                                       \
                : greater ? select_##T##_gt_scalar : select_##T##_lt_scalar)(o, g, x, y, ys, n);                     \
    }
SELECT_LOOP(float)
SELECT_LOOP(double)

static char float_code(Py_buffer *v) {  /* 'f' or 'd' for a native float32/float64 buffer, else 0 */
    int complex;
    char c = float_format(v, &complex);
    return complex || c == 'e' ? 0 : c;
}

static int same_shape(Py_buffer *a, Py_buffer *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

static PyObject *select_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) return PyErr_Format(PyExc_TypeError, "select_into(out, g, x, y, greater)");
    int greater = PyObject_IsTrue(args[4]);
    if (greater < 0) return NULL;
    Py_buffer v[4];
    int got = 0, ok = 0;
    int flags[4] = {PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT,
                    PyBUF_C_CONTIGUOUS | PyBUF_FORMAT, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT};
    PyObject *y = args[3];
    int scalar = PyFloat_CheckExact(y) || PyLong_CheckExact(y);
    for (; got < (scalar ? 3 : 4); got++)
        if (PyObject_GetBuffer(args[got], &v[got], flags[got]) < 0) {
            PyErr_Clear();
            goto out;
        }
    char c = float_code(&v[0]);
    if (!c || float_code(&v[1]) != c || float_code(&v[2]) != c || !same_shape(&v[0], &v[1]) ||
        !same_shape(&v[0], &v[2]))
        goto out;
    double ys = 0.0;
    Py_ssize_t yn = 1;
    if (scalar) {
        ys = PyFloat_CheckExact(y) ? PyFloat_AS_DOUBLE(y) : PyLong_AsDouble(y);
        if (ys == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            goto out;
        }
        /* (a number NumPy would compare in another precision, or round first, is left to NumPy) */
        double limit = c == 'f' ? 16777216.0 : 9007199254740992.0;
        if (PyFloat_CheckExact(y) ? !(fabs(ys) <= (c == 'f' ? FLT_MAX : DBL_MAX)) ||
                                        (c == 'f' && (double)(float)ys != ys)
                                  : !(fabs(ys) < limit))
            goto out;
    } else {
        yn = v[3].len / v[3].itemsize;
        if (float_code(&v[3]) != c || !(same_shape(&v[0], &v[3]) || (yn == 1 && v[3].ndim <= v[0].ndim))) goto out;
        if (yn == 1) ys = c == 'f' ? *(float *)v[3].buf : *(double *)v[3].buf;
    }
    Py_ssize_t n = v[0].len / v[0].itemsize;
    const void *yb = scalar ? NULL : v[3].buf;
    PyThreadState *ts = n >= (1 << 16) ? PyEval_SaveThread() : NULL;
    if (c == 'f')
        select_float(v[0].buf, v[1].buf, v[2].buf, yb, yn, (float)ys, greater, n);
    else
        select_double(v[0].buf, v[1].buf, v[2].buf, yb, yn, ys, greater, n);
    if (ts != NULL) PyEval_RestoreThread(ts);
    ok = 1;
out:
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    return PyBool_FromLong(ok);
}

static PyMethodDef module_methods[] = {
    {"wrap", (PyCFunction)(void (*)(void))wrap, METH_FASTCALL, "wrap(data, device, face=False): a MinArray"},
    {"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL,
     "run(op, kernel, args, kw, face=None): _dispatch.run with its host fast path in C"},
    {"apply", (PyCFunction)(void (*)(void))apply, METH_FASTCALL | METH_KEYWORDS,
     "apply(op, *args, **kw): _dispatch.apply, its host fast path in C"},
    {"set_slot", set_slot, METH_VARARGS, "set_slot(name, op, kernel, slow, rslow=None, islow=None)"},
    {"install", (PyCFunction)(void (*)(void))install, METH_VARARGS | METH_KEYWORDS, "install(**the engine's parts)"},
    {"admits", (PyCFunction)(void (*)(void))admits, METH_FASTCALL,
     "admits(guard, args, kw): does the guard admit the call (its verdict remembered: _guards.by_signature)"},
    {"shape_of", shape_of, METH_O, "MinArray.shape's getter"},
    {"dtype_of", dtype_of, METH_O, "MinArray.dtype's getter"},
    {"ndim_of", ndim_of, METH_O, "MinArray.ndim's getter"},
    {"record_one", (PyCFunction)(void (*)(void))record_one, METH_FASTCALL,
     "record_one(op, vjp, args, result): tape._record_one_level"},
    {"toposort", toposort, METH_O, "toposort(roots): tape._toposort"},
    {"run_order", (PyCFunction)(void (*)(void))run_order, METH_FASTCALL,
     "run_order(order, retain): tape._run_order, the backward pass's loop"},
    {"install_tape", (PyCFunction)(void (*)(void))install_tape, METH_VARARGS | METH_KEYWORDS,
     "install_tape(**the tape's parts)"},
    {"all_finite", all_finite, METH_O,
     "all_finite(buffer): is every value of a C-contiguous float16/32/64 (or complex) buffer finite; None otherwise"},
    {"select_into", (PyCFunction)(void (*)(void))select_into, METH_FASTCALL,
     "select_into(out, g, x, y, greater): numpy_ops._select written into out in one pass; False where it does not"},
    {"install_recorder", (PyCFunction)(void (*)(void))install_recorder, METH_VARARGS | METH_KEYWORDS,
     "install_recorder(recorder, prepare, vjps, sequences): the recorder's parts"},
    {"scaled_counts", scaled_counts, METH_NOARGS,
     "scaled_counts(): scaled arrays made, and fused into an in-place add or subtract, computed, or dropped"},
    {NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, module_methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    if (PyType_Ready(&BaseType) < 0 || PyType_Ready(&CallType) < 0 || PyType_Ready(&MethodType) < 0 ||
        PyType_Ready(&NodeType) < 0 || PyType_Ready(&LentType) < 0 || PyType_Ready(&GemmType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    const char *strs[] = {"auto", "numpy_only", "policy", "out", "size", "dtype", "ndim", "type", "kind", "itemsize",
                          "where", "backend", "stats", "shape", "add", "index", "sum", "_device", "strides",
                          "__array__", "base", "nbytes"};
    PyObject **dst[] = {&s_auto, &s_numpy_only, &s_policy, &s_out, &s_size, &s_dtype, &s_ndim, &s_type, &s_kind,
                        &s_itemsize, &s_where, &s_backend, &s_stats, &s_shape, &s_add, &s_index, &s_sum,
                        &s__device, &s_strides, &s___array__, &s_base, &s_nbytes};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        *dst[i] = PyUnicode_InternFromString(strs[i]);
        if (*dst[i] == NULL) return NULL;
    }
    kw_out = PyTuple_Pack(1, s_out);
    buffer_types = PyDict_New();
    one = PyLong_FromLong(1);
    zero = PyLong_FromLong(0);
    verdicts = PyDict_New();
    pos_zero = PyUnicode_InternFromString("+0.0");
    neg_zero = PyUnicode_InternFromString("-0.0");
    if (verdicts == NULL || pos_zero == NULL || neg_zero == NULL) return NULL;
    if (kw_out == NULL || buffer_types == NULL || one == NULL || zero == NULL) return NULL;
    Py_INCREF(&BaseType);
    Py_INCREF(&CallType);
    Py_INCREF(&MethodType);
    Py_INCREF(&NodeType);
    Py_INCREF(&LentType);
    Py_INCREF(&GemmType);
    if (PyModule_AddObject(m, "Lent", (PyObject *)&LentType) < 0) return NULL;
    if (PyModule_AddObject(m, "Gemm", (PyObject *)&GemmType) < 0) return NULL;
    if (PyModule_AddObject(m, "Base", (PyObject *)&BaseType) < 0 ||
        PyModule_AddObject(m, "Call", (PyObject *)&CallType) < 0 ||
        PyModule_AddObject(m, "Method", (PyObject *)&MethodType) < 0 ||
        PyModule_AddObject(m, "Node", (PyObject *)&NodeType) < 0 ||
        PyModule_AddIntConstant(m, "STRICT", STRICT) < 0 || PyModule_AddIntConstant(m, "NOKW", NOKW) < 0 ||
        PyModule_AddIntConstant(m, "SELFFACE", SELFFACE) < 0 || PyModule_AddIntConstant(m, "UFUNC", UFUNC) < 0 ||
        PyModule_AddIntConstant(m, "TRACED", TRACED) < 0 || PyModule_AddIntConstant(m, "DEVICE", DEVICE) < 0)
        return NULL;
    return m;
}
