"""`float64_buffer(arr)`: the memory of a float64 NumPy array, borrowed, not copied.

Course code shared by `sum_array.mojo` and `sum_array_python_style.mojo`; you do
not need to change it. NumPy publishes where an array's data lives in
`arr.__array_interface__`; this function checks that the array is what the
kernels can read (1-D, float64, C-contiguous) and wraps that memory in a
`Span[Float64, ...]`: `len(data)` values, `data[i]` one of them, and
`data.unsafe_ptr().unsafe_load[width=W](i)` loads `W` of them at once.

Anything else raises an Error that Python sees as an Exception saying what was
expected: a list, float32 or int64 data, a 2-D array, a strided view such as
`a[::2]`.
"""
from std.python import PythonObject


def float64_buffer(arr: PythonObject) raises -> Span[Float64, ImmutAnyOrigin]:
    var iface: PythonObject
    try:
        iface = arr.__array_interface__
    except:
        raise Error(
            "expected a 1-D float64 NumPy array, got ",
            String(py=arr.__class__.__name__),
        )
    var typestr = String(py=iface["typestr"])
    if typestr != "<f8":
        raise Error("expected dtype float64 ('<f8'), got '", typestr, "'")
    if len(iface["shape"]) != 1:
        raise Error("expected a 1-D array, got shape ", String(iface["shape"]))
    # NumPy leaves "strides" as None exactly when the array is C-contiguous.
    if iface["strides"] is not PythonObject(None):
        raise Error(
            "expected a C-contiguous array, got strides ",
            String(iface["strides"]),
            " (pass np.ascontiguousarray(a))",
        )
    var address = Int(py=iface["data"][0])
    var length = Int(py=iface["shape"][0])
    var ptr = Pointer[Float64, ImmutAnyOrigin](unsafe_from_address=address)
    return Span[Float64, ImmutAnyOrigin](unsafe_ptr=ptr, length=length)
