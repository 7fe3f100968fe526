"""The article's AI `sum_array`, Python-style: one scalar add per element.

The baseline the Mojo exercise is timed against. Its loop is the article's,
made to compile on Mojo 1.2 (`var` for the new variable) and given the same
interface as your `sum_array.mojo`: a 1-D float64 NumPy array, read in place.
"""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder

from numpy_buffer import float64_buffer


@export
def PyInit_sum_array_python_style() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("sum_array_python_style")
        module.def_function[sum_array](
            "sum_array", docstring="Sum of a 1-D float64 NumPy array (scalar loop)."
        )
        return module.finalize()
    except e:
        abort(String("failed to create module sum_array_python_style: ", e))


def sum_array(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    var total: Float64 = 0.0
    for val in data:
        total += val
    return PythonObject(total)
