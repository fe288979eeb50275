import os

import pytest

# scikit-learn's fixture of the same name: seed 42 unless SKLEARN_TESTS_GLOBAL_RANDOM_SEED
# names others ("all" for 0-99, "1-5" for a range, or a single number).
_spec = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
if _spec == "all":
    _seeds = list(range(100))
elif "-" in _spec:
    _first, _last = map(int, _spec.split("-"))
    _seeds = list(range(_first, _last + 1))
else:
    _seeds = [int(_spec)]


@pytest.fixture(params=_seeds)
def global_random_seed(request):
    return request.param
