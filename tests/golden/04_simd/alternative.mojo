"""A correct sum_array written differently from the model: one SIMD accumulator and two
`range` loops, the full vectors first, then the tail."""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder
from std.sys.info import simd_width_of

from numpy_buffer import float64_buffer

comptime WIDTH = simd_width_of[DType.float64]()


@export
def PyInit_sum_array() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("sum_array")
        module.def_function[sum_array]("sum_array")
        module.def_function[simd_width]("simd_width")
        return module.finalize()
    except e:
        abort(String("failed to create module sum_array: ", e))


def simd_width() raises -> PythonObject:
    return PythonObject(WIDTH)


def sum_array(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    var n = len(data)
    var ptr = data.unsafe_ptr()
    var full = n - n % WIDTH
    var acc = SIMD[DType.float64, WIDTH](0.0)
    for i in range(0, full, WIDTH):
        acc += ptr.unsafe_load[width=WIDTH](i)
    var total = acc.reduce_add()
    for i in range(full, n):
        total += data[i]
    return PythonObject(total)
