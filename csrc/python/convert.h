// Argument conversion shared by the binding files: dtypes, shapes, dims, operands, GIL release.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "core/tensor.h"
#include "ops/ops.h"

namespace pygrad::python {

namespace py = pybind11;

// The Python-visible dtype object (pygrad.float32, ...).
struct DTypeObject {
  DType dtype;
};

DType to_dtype_arg(py::handle h, const char* op);
std::optional<DType> to_optional_dtype(py::handle h, const char* op);
py::object dtype_object(DType dtype);
// Sizes given as f(2, 3), f((2, 3)) or f([2, 3]).
Shape to_shape(const py::args& args, const char* op);
Shape to_shape_sequence(py::handle h, const char* op);
// None -> all dims, an int, or a sequence of ints.
Dims to_dims(py::handle h, const char* op);
// A Tensor, a Python number (as a weak 0-d "wrapped" tensor), or array-like data (copied).
Tensor to_operand(py::handle h, const char* op);
// None -> an undefined tensor (an optional tensor argument), else the Tensor.
inline Tensor optional_tensor(py::handle h) { return h.is_none() ? Tensor() : h.cast<Tensor>(); }
// Hot-path conversions without pybind11's per-call type lookups: the Tensor inside a Python Tensor (or a
// subclass such as Parameter), or nullptr for anything else; and a Tensor returned to Python.
const Tensor* tensor_ptr(py::handle h);
py::object to_python(Tensor t);
Tensor tensor_from_numpy(py::array array, const char* op);
py::array tensor_to_numpy(const Tensor& t, py::handle base);
std::vector<IndexItem> to_index_items(py::handle index);

// Releases the GIL around kernels big enough for other Python threads to gain from it.
class ReleaseGilIfLarge {
 public:
  explicit ReleaseGilIfLarge(int64_t work) {
    if (work >= 16384) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

// Names of the public functions bound so far (pygrad.<name>): _C.__all__ lists them.
std::vector<std::string>& public_names();

void bind_tensor(py::module_& m);
void bind_ops(py::module_& m);
void bind_shape(py::module_& m);
void bind_nn_ops(py::module_& m);
void bind_dlpack(py::module_& m);
void bind_optimizers(py::module_& m);
void bind_elementwise(py::module_& m);
void bind_function(py::module_& m);

}  // namespace pygrad::python
