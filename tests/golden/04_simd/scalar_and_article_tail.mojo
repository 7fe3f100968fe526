"""The article's "human refinement" ported to Mojo 1.2 line by line, its loop kept."""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder
from std.sys.info import simd_width_of

from numpy_buffer import float64_buffer


@export
def PyInit_sum_array() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("sum_array")
        module.def_function[sum_array]("sum_array")
        return module.finalize()
    except e:
        abort(String("failed to create module sum_array: ", e))


def article_sum[T: DType](data: Pointer[Scalar[T], _], n: Int) -> Scalar[T]:
    comptime width = simd_width_of[T]()
    var acc = SIMD[T, width](0)
    for i in range(0, n - width, width):
        acc += data.unsafe_load[width=width](i)
    return acc.reduce_add()


def sum_array(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    return PythonObject(article_sum(data.unsafe_ptr(), len(data)))
