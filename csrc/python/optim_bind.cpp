// Binding of the fused optimizer updates (pygrad._C._optimizer_step), called once per parameter group.
#include "ops/optimizers.h"
#include "python/convert.h"

namespace pygrad::python {

void bind_optimizers(py::module_& m) {
  m.def(
      "_optimizer_step",
      [](const std::string& name, const TensorList& params, const TensorList& grads, const std::vector<int64_t>& steps,
         const HyperValues& hyper, const NamedTensorLists& tensors, NamedScalarLists scalars) {
        py::gil_scoped_release release;
        return optimizer_step(name, params, grads, steps, hyper, tensors, std::move(scalars));
      },
      py::arg("name"), py::arg("params"), py::arg("grads"), py::arg("steps"), py::arg("hyper"),
      py::arg("tensors") = NamedTensorLists{}, py::arg("scalars") = NamedScalarLists{},
      "Fused in-place update of one parameter group by the optimizer `name` (used by pygrad.optim): hyper-parameters "
      "and state slots by name; returns the scalar state slots, updated.");
  m.def(
      "_optimizer_fields",
      [](const std::string& name) {
        OptimizerFields f = optimizer_fields(name);
        return py::make_tuple(f.hyper, f.state);
      },
      py::arg("name"), "The hyper-parameter names and state slot names the optimizer `name` reads.");
  m.def("_optimizer_names", &optimizer_names, "The names of the fused optimizer updates.");
}

}  // namespace pygrad::python
