"""An honest but scalar Mojo sum for benchmarks/speed_verdicts.py: an indexed loop,
the right answer for every length, one add at a time. The speed test must fail it."""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder

from numpy_buffer import float64_buffer


@export
def PyInit_sum_array() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("sum_array")
        module.def_function[sum_array](
            "sum_array", docstring="Sum of a 1-D float64 NumPy array (indexed scalar loop)."
        )
        return module.finalize()
    except e:
        abort(String("failed to create module sum_array: ", e))


def sum_array(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    var total: Float64 = 0.0
    for i in range(len(data)):
        total += data[i]
    return PythonObject(total)
