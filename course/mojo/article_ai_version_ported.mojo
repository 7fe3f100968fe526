# The article's AI version with the two changes Mojo 1.2 needs, nothing else:
#   data: list               ->  data: List[Float64]   (Mojo's list type, with its element type)
#   total: Float64 = 0.0     ->  var total: Float64 = 0.0   (a new variable is declared)
# One scalar add per element: correct, and as slow as a plain loop can be.
#     mojo run course/mojo/article_ai_version_ported.mojo
def sum_array(data: List[Float64]) -> Float64:
    var total: Float64 = 0.0
    for val in data:
        total += val
    return total


def main():
    print("sum_array:", sum_array([1.5, 2.25, 3.0, 4.25, 0.5]))
