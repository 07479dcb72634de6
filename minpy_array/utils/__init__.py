"""MinPy's `minpy.utils`: gradient_checker (quick_grad_check) and minprof (a call-time profiler)."""
