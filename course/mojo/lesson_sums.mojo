"""The lesson's Mojo sums, callable from Python on a 1-D float64 NumPy array (no copy).

* `sum_python_style(arr)`: the article's AI loop, one scalar add per element;
* `sum_article_simd(arr)`: the article's "human refinement" ported to Mojo 1.2 line by
  line (course/mojo/article_fix_ported.mojo), its tail bug included;
* `simd_width()`: float64 values per SIMD register on this machine.

The exercise (exercises/04_simd/sum_array.mojo) asks for the fixed version.
"""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder
from std.sys.info import simd_width_of

from numpy_buffer import float64_buffer


@export
def PyInit_lesson_sums() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("lesson_sums")
        module.def_function[sum_python_style]("sum_python_style")
        module.def_function[sum_article_simd]("sum_article_simd")
        module.def_function[simd_width]("simd_width")
        return module.finalize()
    except e:
        abort(String("failed to create module lesson_sums: ", e))


def simd_width() raises -> PythonObject:
    return PythonObject(simd_width_of[DType.float64]())


def sum_python_style(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    var total: Float64 = 0.0
    for val in data:
        total += val
    return PythonObject(total)


def article_sum[T: DType](data: Pointer[Scalar[T], _], n: Int) -> Scalar[T]:
    comptime width = simd_width_of[T]()
    var acc = SIMD[T, width](0)
    for i in range(0, n - width, width):
        acc += data.unsafe_load[width=width](i)
    return acc.reduce_add()


def sum_article_simd(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    return PythonObject(article_sum(data.unsafe_ptr(), len(data)))
