# The article's "human refinement" ported to Mojo 1.2 line by line, its bug included.
#
#   article (2023 Mojo)                 Mojo 1.2
#   fn                                  def
#   from math import simd_width         from std.sys.info import simd_width_of
#   from memory import UnsafePointer    (not needed: Pointer is built in)
#   DTypePointer[T]                     Pointer[Scalar[T], _]   (`_`: any origin)
#   alias width = ...                   comptime width = ...
#   data.load[width=width](i)           data.unsafe_load[width=width](i)
#   SIMD[T, 1]                          Scalar[T]   (the same type, by its short name)
#
# The bug is kept on purpose: `range(0, n - width, width)` stops one vector early and
# nothing adds the elements after it, so up to `width` values are dropped, and all of them
# when n <= width. main() sums `width + 1` and `width` ones, the smallest cases that show it.
#     mojo run course/mojo/article_fix_ported.mojo
from std.sys.info import simd_width_of


def sum_array[T: DType](data: Pointer[Scalar[T], _], n: Int) -> Scalar[T]:
    comptime width = simd_width_of[T]()
    var acc = SIMD[T, width](0)
    for i in range(0, n - width, width):
        acc += data.unsafe_load[width=width](i)
    return acc.reduce_add()


def main():
    comptime width = simd_width_of[DType.float64]()
    print("SIMD width for float64:", width)
    for n in [width + 1, width]:
        var values = List[Float64](length=n, fill=1.0)
        var got = sum_array[DType.float64](values.unsafe_ptr(), n)
        print("sum of", n, "ones:", got, " expected:", Float64(n))
