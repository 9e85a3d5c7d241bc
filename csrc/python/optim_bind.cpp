// Binding of the fused optimizer update (pygrad._C._optimizer_step), called once per parameter group.
#include "ops/optimizers.h"
#include "python/convert.h"

namespace pygrad::python {

void bind_optimizers(py::module_& m) {
  m.def(
      "_optimizer_step",
      [](const std::string& kind, const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
         const std::vector<std::vector<Tensor>>& state, const std::vector<int64_t>& steps, std::vector<double> aux,
         double lr, double weight_decay, double momentum, double dampening, double beta1, double beta2, double eps,
         double alpha, double rho, double lr_decay, double momentum_decay, bool nesterov, bool maximize, bool amsgrad,
         bool centered, bool decoupled_weight_decay) {
        OptimizerHyper h;
        h.lr = lr;
        h.weight_decay = weight_decay;
        h.momentum = momentum;
        h.dampening = dampening;
        h.beta1 = beta1;
        h.beta2 = beta2;
        h.eps = eps;
        h.alpha = alpha;
        h.rho = rho;
        h.lr_decay = lr_decay;
        h.momentum_decay = momentum_decay;
        h.nesterov = nesterov;
        h.maximize = maximize;
        h.amsgrad = amsgrad;
        h.centered = centered;
        h.decoupled_weight_decay = decoupled_weight_decay;
        OptimizerKind k = optimizer_kind(kind);
        py::gil_scoped_release release;
        return optimizer_step(k, h, params, grads, state, steps, std::move(aux));
      },
      py::arg("kind"), py::arg("params"), py::arg("grads"), py::arg("state"), py::arg("steps"),
      py::arg("aux") = std::vector<double>{}, py::kw_only(), py::arg("lr") = 0.0, py::arg("weight_decay") = 0.0,
      py::arg("momentum") = 0.0, py::arg("dampening") = 0.0, py::arg("beta1") = 0.0, py::arg("beta2") = 0.0,
      py::arg("eps") = 0.0, py::arg("alpha") = 0.0, py::arg("rho") = 0.0, py::arg("lr_decay") = 0.0,
      py::arg("momentum_decay") = 0.0, py::arg("nesterov") = false, py::arg("maximize") = false,
      py::arg("amsgrad") = false, py::arg("centered") = false, py::arg("decoupled_weight_decay") = false,
      "Fused in-place update of one parameter group (used by pygrad.optim); one kernel call over all its tensors.");
}

}  // namespace pygrad::python
