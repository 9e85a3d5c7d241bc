// The fused optimizer update: checks that params, grads and state agree, then one optimizer_step kernel call.
#include "ops/optimizers.h"

#include <cmath>

#include "backend/dispatch.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/ops.h"

namespace pygrad {

namespace {
constexpr const char* kOp = "optimizer_step";

// Which state slots each kind needs for the given options.
std::vector<int> required_slots(OptimizerKind kind, const OptimizerHyper& h) {
  switch (kind) {
    case OptimizerKind::SGD: return h.momentum != 0 ? std::vector<int>{0} : std::vector<int>{};
    case OptimizerKind::Adam: return h.amsgrad ? std::vector<int>{0, 1, 2} : std::vector<int>{0, 1};
    case OptimizerKind::RMSprop: {
      std::vector<int> slots{0};
      if (h.momentum > 0) slots.push_back(1);
      if (h.centered) slots.push_back(2);
      return slots;
    }
    case OptimizerKind::Adagrad: return {0};
    case OptimizerKind::Adadelta:
    case OptimizerKind::Adamax:
    case OptimizerKind::NAdam:
    case OptimizerKind::RAdam: return {0, 1};
  }
  return {};
}

void check_like(const Tensor& t, const Tensor& param, const char* what, size_t i) {
  PG_CHECK(t.defined(), ValueError, kOp, what, " ", i, " is missing");
  PG_CHECK(t.device() == param.device(), RuntimeError, kOp, what, " ", i, " is on ", device_name(t.device()),
           " but its parameter is on ", device_name(param.device()));
  PG_CHECK(t.dtype() == param.dtype(), TypeError, kOp, what, " ", i, " has dtype ", dtype_name(t.dtype()),
           " but its parameter has dtype ", dtype_name(param.dtype()));
  PG_CHECK(t.shape() == param.shape(), ValueError, kOp, what, " ", i, " has shape ", t.shape(),
           " but its parameter has shape ", param.shape());
}
}  // namespace

OptimizerKind optimizer_kind(const std::string& name) {
  static const std::pair<const char*, OptimizerKind> kinds[] = {
      {"sgd", OptimizerKind::SGD},         {"adam", OptimizerKind::Adam},     {"rmsprop", OptimizerKind::RMSprop},
      {"adagrad", OptimizerKind::Adagrad}, {"adadelta", OptimizerKind::Adadelta}, {"adamax", OptimizerKind::Adamax},
      {"nadam", OptimizerKind::NAdam},     {"radam", OptimizerKind::RAdam}};
  for (const auto& [n, k] : kinds)
    if (name == n) return k;
  PG_THROW(ValueError, kOp, "unknown optimizer '", name, "'");
}

std::vector<double> optimizer_step(OptimizerKind kind, const OptimizerHyper& hyper, const std::vector<Tensor>& params,
                                   const std::vector<Tensor>& grads, const std::vector<std::vector<Tensor>>& state,
                                   const std::vector<int64_t>& steps, std::vector<double> aux) {
  const size_t n = params.size();
  PG_CHECK(grads.size() == n, ValueError, kOp, "got ", n, " parameters but ", grads.size(), " gradients");
  PG_CHECK(steps.size() == n, ValueError, kOp, "got ", n, " parameters but ", steps.size(), " step counts");
  PG_CHECK(state.size() <= static_cast<size_t>(kMaxOptimizerSlots), ValueError, kOp, "at most ", kMaxOptimizerSlots,
           " state slots, got ", state.size());
  if (kind == OptimizerKind::NAdam)
    PG_CHECK(aux.size() == n, ValueError, kOp, "nadam needs one mu_product per parameter, got ", aux.size());
  for (int k : required_slots(kind, hyper))
    PG_CHECK(static_cast<size_t>(k) < state.size() && state[k].size() == n, ValueError, kOp, "state slot ", k,
             " needs one tensor per parameter (", n, ")");
  for (const auto& s : state)
    PG_CHECK(s.empty() || s.size() == n, ValueError, kOp, "a state slot has ", s.size(), " tensors for ", n,
             " parameters");
  for (double v : {hyper.lr, hyper.weight_decay, hyper.eps})
    PG_CHECK(std::isfinite(v), ValueError, kOp, "hyper-parameters must be finite, got ", v);
  if (n == 0) return aux;

  OptimizerStepArgs args;
  args.kind = kind;
  args.hyper = hyper;
  args.steps = steps;
  args.aux = std::move(aux);
  // Non-contiguous params or state are updated through a contiguous copy that is written back afterwards.
  std::vector<std::pair<Tensor, Tensor>> write_back;
  auto writable = [&](const Tensor& t) {
    if (t.is_contiguous()) return t;
    Tensor c = contiguous(t);
    write_back.emplace_back(t, c);
    return c;
  };
  std::vector<Tensor> touched;
  GradModeGuard no_grad(false);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    PG_CHECK(p.defined(), ValueError, kOp, "parameter ", i, " is missing");
    PG_CHECK(is_floating(p.dtype()), TypeError, kOp, "parameter ", i, " has dtype ", dtype_name(p.dtype()),
             "; optimizers update floating tensors only");
    PG_CHECK(p.device() == params[0].device(), RuntimeError, kOp, "parameters of one group must share a device: ",
             device_name(p.device()), " and ", device_name(params[0].device()));
    PG_CHECK(steps[i] >= 1, ValueError, kOp, "step counts start at 1, got ", steps[i]);
    check_like(grads[i], p, "gradient", i);
    args.params.push_back(writable(p));
    args.grads.push_back(contiguous(grads[i]));
    touched.push_back(p);
    for (size_t k = 0; k < state.size(); ++k) {
      if (state[k].empty()) continue;
      check_like(state[k][i], p, "state tensor", i);
      args.state[k].push_back(writable(state[k][i]));
      touched.push_back(state[k][i]);
    }
  }
  args.out[0] = args.params[0];
  run_kernel(OpId::optimizer_step, args);
  for (const auto& [original, copy] : write_back) copy_(original, copy);
  for (const Tensor& t : touched) t.bump_version();
  return std::move(args.aux);
}

}  // namespace pygrad
