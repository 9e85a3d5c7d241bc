// Bindings for pygrad.autograd.Function: a graph node whose backward is a Python callable (the Function's
// backward, wrapped by pygrad/autograd/function.py), called with the GIL taken from inside the engine.
#include <mutex>
#include <string>
#include <unordered_set>

#include "core/error.h"
#include "core/node.h"
#include "ops/ops.h"
#include "ops/record.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

// Node names are const char*: each Function class name is kept once for the life of the process.
const char* intern_name(const std::string& name) {
  static std::mutex mutex;
  static std::unordered_set<std::string> names;
  std::lock_guard<std::mutex> lock(mutex);
  return names.insert(name).first->c_str();
}

std::vector<Tensor> python_backward(Node& node, std::vector<Tensor>& grad_outputs) {
  py::gil_scoped_acquire gil;
  const py::object& callback = *static_cast<py::object*>(node.payload.get());
  py::object grad = grad_outputs[0].defined() ? to_python(grad_outputs[0]) : py::none();
  py::sequence result = callback(grad);
  PG_CHECK(static_cast<size_t>(py::len(result)) == node.next_edges.size(), RuntimeError, node.name,
           "internal: backward gave ", py::len(result), " gradients for ", node.next_edges.size(), " inputs");
  std::vector<Tensor> grads;
  for (py::handle g : result) grads.push_back(g.is_none() ? Tensor() : g.cast<Tensor>());
  return grads;
}

}  // namespace

void bind_function(py::module_& m) {
  m.def(
      "_record_function",
      [](const std::string& name, const std::vector<std::optional<Tensor>>& inputs, const Tensor& output,
         py::function backward) {
        std::vector<Tensor> edges;
        for (const auto& t : inputs) edges.push_back(t ? *t : Tensor());
        // Freed with the node, possibly from a thread without the GIL.
        std::shared_ptr<void> payload(new py::object(std::move(backward)), [](void* p) {
          py::gil_scoped_acquire gil;
          delete static_cast<py::object*>(p);
        });
        record_custom(intern_name(name), edges, output, &python_backward, std::move(payload));
      },
      py::arg("name"), py::arg("inputs"), py::arg("output"), py::arg("backward"),
      "internal (autograd.Function): records output's history as a node named name with one edge per input, whose "
      "backward(grad) returns one gradient (or None) per input.");
}

}  // namespace pygrad::python
