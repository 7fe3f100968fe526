"""Exercise 4: the article's Mojo `sum_array`, fixed for Mojo 1.2.

The article's "human refinement" (2023 Mojo; it no longer compiles):

    fn sum_array[T: DType](data: DTypePointer[T], n: Int) -> SIMD[T, 1]:
        alias width = simd_width[T]()
        var acc = SIMD[T, width](0)
        for i in range(0, n - width, width):
            acc += data.load[width=width](i)
        return acc.reduce_add()

Write `sum_array(arr)` so that Python can call it on a 1-D float64 NumPy array
and get the sum back as a Python float:

* SIMD: add `WIDTH` values per step with `SIMD[DType.float64, WIDTH]` loads
  (`ptr.unsafe_load[width=WIDTH](i)` where `ptr = data.unsafe_ptr()`);
* every element counts: also add the tail that does not fill a whole vector
  (the article's loop drops it), and give the right answer for 0, 1, WIDTH - 1,
  WIDTH and WIDTH + 1 values;
* never read past the end of the array.

`float64_buffer` (in numpy_buffer.mojo, course code) checks the argument and
hands you its memory as a `Span[Float64, ...]` without copying. Build and call
it from the notebook; `check("mojo_sum_array", MOJO_FILE)` grades it.
"""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder
from std.sys.info import simd_width_of

from numpy_buffer import float64_buffer

# How many float64 values one SIMD register holds: 2 (SSE, NEON), 4 (AVX2) or
# 8 (AVX-512), known when the module is compiled for this machine.
comptime WIDTH = simd_width_of[DType.float64]()


@export
def PyInit_sum_array() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("sum_array")
        module.def_function[sum_array](
            "sum_array", docstring="Sum of a 1-D float64 NumPy array (SIMD)."
        )
        module.def_function[simd_width](
            "simd_width", docstring="float64 values per SIMD register."
        )
        return module.finalize()
    except e:
        abort(String("failed to create module sum_array: ", e))


def simd_width() raises -> PythonObject:
    return PythonObject(WIDTH)


def sum_array(arr: PythonObject) raises -> PythonObject:
    var data = float64_buffer(arr)
    # BEGIN SOLUTION
    return PythonObject(simd_sum(data))
    # END SOLUTION
    # BEGIN STARTER
    # # YOUR CODE HERE: sum `data` with SIMD loads, then the tail.
    # raise Error("not implemented: sum_array in sum_array.mojo")
    # END STARTER
# BEGIN SOLUTION


# Independent accumulators: a vector add takes about 4 cycles before its result
# can be added to again, so one accumulator leaves the adder idle 3 cycles in 4.
comptime LANES = 4


def simd_sum(data: Span[Float64, _]) -> Float64:
    var n = len(data)
    var ptr = data.unsafe_ptr()
    var acc = SIMD[DType.float64, WIDTH * LANES](0.0)
    var i = 0
    # `i + step <= n`, not the article's `range(0, n - width, width)`: the last
    # full block is included, and nothing is read past the end.
    while i + WIDTH * LANES <= n:
        acc += ptr.unsafe_load[width=WIDTH * LANES](i)
        i += WIDTH * LANES
    var vec = acc.reduce_add[WIDTH]()
    while i + WIDTH <= n:
        vec += ptr.unsafe_load[width=WIDTH](i)
        i += WIDTH
    var total = vec.reduce_add()
    while i < n:  # the tail: fewer than WIDTH values left
        total += data[i]
        i += 1
    return total
# END SOLUTION
