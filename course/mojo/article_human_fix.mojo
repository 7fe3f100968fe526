from math import simd_width
from memory import UnsafePointer
fn sum_array[T: DType](data: DTypePointer[T], n: Int) -> SIMD[T, 1]:
    alias width = simd_width[T]()
    var acc = SIMD[T, width](0)
    for i in range(0, n - width, width):
        acc += data.load[width=width](i)
    return acc.reduce_add()
