"""The model solution of the Mojo exercise, self-contained and never released.

Python calls `sum_array(arr)` with a C-contiguous 1-D float64 array. The function reads
the array's own memory through the address NumPy publishes in
`arr.__array_interface__["data"]`, so nothing is copied. Anything else (a list, float32,
2-D, a strided view such as `a[::2]`) raises an Exception that says what was expected.

The loop adds `WIDTH` values per instruction and keeps `LANES` independent accumulators
so consecutive adds do not wait for each other. The elements that do not fill a whole
vector (at most `WIDTH - 1` of them) are added one by one at the end: forgetting them is
the bug in the article's version.

The exercise's own answer is ../sum_array.mojo between its BEGIN/END SOLUTION markers;
tests/test_mojo_native.py checks both on the same lengths and inputs.
"""
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder
from std.sys.info import simd_width_of

# How many float64 values one SIMD register holds: 4 with AVX2, 8 with AVX-512.
comptime WIDTH = simd_width_of[DType.float64]()
# Independent accumulators, to hide the latency of a floating-point add.
comptime LANES = 4


@export
def PyInit_sum_array_reference() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("sum_array_reference")
        module.def_function[sum_array](
            "sum_array",
            docstring="Sum of a C-contiguous 1-D float64 NumPy array (SIMD).",
        )
        module.def_function[simd_width](
            "simd_width", docstring="float64 values per SIMD register."
        )
        return module.finalize()
    except e:
        abort(String("failed to create module sum_array_reference: ", e))


def sum_array(arr: PythonObject) raises -> PythonObject:
    return PythonObject(simd_sum(float64_buffer(arr)))


def simd_width() raises -> PythonObject:
    return PythonObject(WIDTH)


def simd_sum(data: Span[Float64, _]) -> Float64:
    var n = len(data)
    var ptr = data.unsafe_ptr()
    var acc = SIMD[DType.float64, WIDTH * LANES](0.0)
    var i = 0
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


def float64_buffer(arr: PythonObject) raises -> Span[Float64, ImmutAnyOrigin]:
    """The memory of a C-contiguous 1-D float64 NumPy array, borrowed, not copied.
    """
    var iface: PythonObject
    try:
        iface = arr.__array_interface__
    except:
        raise Error(
            "sum_array expects a 1-D float64 NumPy array, got ",
            String(py=arr.__class__.__name__),
        )
    var typestr = String(py=iface["typestr"])
    if typestr != "<f8":
        raise Error(
            "sum_array expects dtype float64 ('<f8'), got '", typestr, "'"
        )
    if len(iface["shape"]) != 1:
        raise Error(
            "sum_array expects a 1-D array, got shape ", String(iface["shape"])
        )
    if iface["strides"] is not PythonObject(None):
        raise Error(
            "sum_array expects a C-contiguous array, got strides ",
            String(iface["strides"]),
        )
    var address = Int(py=iface["data"][0])
    var length = Int(py=iface["shape"][0])
    var ptr = Pointer[Float64, ImmutAnyOrigin](unsafe_from_address=address)
    return Span[Float64, ImmutAnyOrigin](unsafe_ptr=ptr, length=length)
