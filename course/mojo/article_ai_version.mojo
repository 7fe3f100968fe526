# The article's "AI output: Python-style Mojo", verbatim. The main() below it is ours, so
# that `mojo run` has something to run. It does not compile on Mojo 1.2: `list` is a Python
# type, not a Mojo one (and, once that is fixed, `total: Float64 = 0.0` needs `var`).
#     mojo run course/mojo/article_ai_version.mojo
def sum_array(data: list) -> Float64:
    total: Float64 = 0.0
    for val in data:
        total += val
    return total


def main():
    print("sum_array:", sum_array([1.5, 2.25, 3.0, 4.25, 0.5]))
