// The fused optimizer updates: the table of optimizers (from op_list.def), reading each one's typed hyper-parameters
// and state slots by name, checking that params, grads and state agree, then one kernel call per group.
#include "ops/optimizers.h"

#include <cmath>
#include <type_traits>

#include "backend/dispatch.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "ops/ops.h"

namespace pygrad {

namespace {
constexpr const char* kOp = "optimizer_step";

bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names)
    if (n == name) return true;
  return false;
}

template <class Hyper>
std::vector<std::string> hyper_names() {
  Hyper h;
  std::vector<std::string> names;
  h.for_each([&](const char* name, auto&) { names.emplace_back(name); });
  return names;
}

template <class Hyper, class State>
std::vector<std::string> slot_names() {
  Hyper h;
  State s;
  std::vector<std::string> names;
  s.for_each(h, [&](const char* name, auto&, bool) { names.emplace_back(name); });
  return names;
}

// ---- one hyper-parameter from its Python value: numbers are finite; a flag may be given as a number (truthiness)
void read_field(const char* opt, const char* name, const HyperValue& value, double& field) {
  const double* v = std::get_if<double>(&value);
  PG_CHECK(v, TypeError, opt, "hyper-parameter '", name, "' must be a number");
  PG_CHECK(std::isfinite(*v), ValueError, opt, "hyper-parameter '", name, "' must be finite, got ", *v);
  field = *v;
}

void read_field(const char* opt, const char* name, const HyperValue& value, bool& field) {
  if (const bool* b = std::get_if<bool>(&value)) {
    field = *b;
  } else if (const double* v = std::get_if<double>(&value)) {
    field = *v != 0;
  } else {
    PG_THROW(TypeError, opt, "hyper-parameter '", name, "' must be a bool");
  }
}

void read_field(const char* opt, const char* name, const HyperValue& value, Betas& field) {
  const auto* v = std::get_if<std::vector<double>>(&value);
  PG_CHECK(v && v->size() == 2, TypeError, opt, "hyper-parameter '", name, "' must be a pair of numbers");
  for (double b : *v) PG_CHECK(std::isfinite(b), ValueError, opt, "hyper-parameter '", name, "' must be finite");
  field = {(*v)[0], (*v)[1]};
}

// Fills every field of Hyper from values, by name; values must hold exactly those names.
template <class Hyper>
Hyper read_hyper(const char* opt, const HyperValues& values) {
  Hyper h;
  size_t found = 0;
  h.for_each([&](const char* name, auto& field) {
    auto it = values.find(name);
    PG_CHECK(it != values.end(), ValueError, opt, "missing hyper-parameter '", name, "'; ", opt, " takes ",
             hyper_names<Hyper>());
    read_field(opt, name, it->second, field);
    ++found;
  });
  if (found != values.size()) {
    const auto names = hyper_names<Hyper>();
    for (const auto& entry : values)
      PG_CHECK(contains(names, entry.first), ValueError, opt, "unknown hyper-parameter '", entry.first, "'; ", opt,
               " takes ", names);
  }
  return h;
}

// Binds the state slots given by name to State's fields: required ones must be there, unknown names are errors.
// Tensor slots are recorded in `bound` (field, caller's tensors) for checking; scalar slots are moved in.
template <class Hyper, class State>
void bind_state(const char* opt, const Hyper& h, State& state, const NamedTensorLists& tensors,
                NamedScalarLists& scalars, size_t n, std::vector<std::pair<TensorList*, const TensorList*>>& bound) {
  size_t found_tensors = 0, found_scalars = 0;
  state.for_each(h, [&](const char* name, auto& slot, bool required) {
    constexpr bool is_tensor = std::is_same_v<std::decay_t<decltype(slot)>, TensorList>;
    const auto& given = [&]() -> const auto& {
      if constexpr (is_tensor) {
        return tensors;
      } else {
        return scalars;
      }
    }();
    auto it = given.find(name);
    if (it == given.end()) {
      PG_CHECK(!required, ValueError, opt, "missing state slot '", name, "', which these hyper-parameters need");
      return;
    }
    PG_CHECK(it->second.size() == n, ValueError, opt, "state slot '", name, "' has ", it->second.size(),
             " entries for ", n, " parameters");
    if constexpr (is_tensor) {
      ++found_tensors;
      bound.emplace_back(&slot, &it->second);
    } else {
      ++found_scalars;
      slot = it->second;
    }
  });
  if (found_tensors == tensors.size() && found_scalars == scalars.size()) return;
  const auto names = slot_names<Hyper, State>();
  for (const auto& entry : tensors)
    PG_CHECK(contains(names, entry.first), ValueError, opt, "unknown state slot '", entry.first, "'; ", opt, " keeps ",
             names);
  for (const auto& entry : scalars)
    PG_CHECK(contains(names, entry.first), ValueError, opt, "unknown state slot '", entry.first, "'; ", opt, " keeps ",
             names);
  PG_THROW(ValueError, opt, "a state slot of numbers was given as tensors, or one of tensors as numbers; ", opt,
           " keeps ", names);
}

void check_like(const char* opt, const Tensor& t, const Tensor& param, const char* what, size_t i) {
  PG_CHECK(t.defined(), ValueError, opt, what, " ", i, " is missing");
  PG_CHECK(t.device() == param.device(), RuntimeError, opt, what, " ", i, " is on ", device_name(t.device()),
           " but its parameter is on ", device_name(param.device()));
  PG_CHECK(t.dtype() == param.dtype(), TypeError, opt, what, " ", i, " has dtype ", dtype_name(t.dtype()),
           " but its parameter has dtype ", dtype_name(param.dtype()));
  PG_CHECK(t.shape() == param.shape(), ValueError, opt, what, " ", i, " has shape ", t.shape(),
           " but its parameter has shape ", param.shape());
}

// optimizer_step for one optimizer: its typed arguments from the named ones, then its kernel.
template <class Hyper, class State>
NamedScalarLists run(OpId op, const TensorList& params, const TensorList& grads, const std::vector<int64_t>& steps,
                     const HyperValues& hyper, const NamedTensorLists& tensors, NamedScalarLists scalars) {
  const char* opt = op_name(op);
  const size_t n = params.size();
  PG_CHECK(grads.size() == n, ValueError, opt, "got ", n, " parameters but ", grads.size(), " gradients");
  PG_CHECK(steps.size() == n, ValueError, opt, "got ", n, " parameters but ", steps.size(), " step counts");
  OptimizerStepArgs<Hyper, State> args;
  args.hyper = read_hyper<Hyper>(opt, hyper);
  std::vector<std::pair<TensorList*, const TensorList*>> bound;
  bind_state(opt, args.hyper, args.state, tensors, scalars, n, bound);
  if (n == 0) return scalars;

  OptimizerGroup& group = args.group;
  group.steps = steps;
  // Non-contiguous params or state are updated through a contiguous copy that is written back afterwards; 16-bit
  // floats through a float32 copy (the update computes in float32 and rounds once on the way back).
  std::vector<std::pair<Tensor, Tensor>> write_back;
  auto writable = [&](const Tensor& t) {
    const bool reduced = is_reduced_floating(t.dtype());
    if (t.is_contiguous() && !reduced) return t;
    Tensor c = reduced ? to_dtype(t, DType::Float32) : contiguous(t);
    write_back.emplace_back(t, c);
    return c;
  };
  std::vector<Tensor> touched;
  GradModeGuard no_grad(false);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    PG_CHECK(p.defined(), ValueError, opt, "parameter ", i, " is missing");
    PG_CHECK(is_floating(p.dtype()), TypeError, opt, "parameter ", i, " has dtype ", dtype_name(p.dtype()),
             "; optimizers update floating tensors only");
    PG_CHECK(p.device() == params[0].device(), RuntimeError, opt,
             "parameters of one group must share a device: ", device_name(p.device()), " and ",
             device_name(params[0].device()));
    PG_CHECK(steps[i] >= 1, ValueError, opt, "step counts start at 1, got ", steps[i]);
    check_like(opt, grads[i], p, "gradient", i);
    group.params.push_back(writable(p));
    group.grads.push_back(
        contiguous(is_reduced_floating(grads[i].dtype()) ? to_dtype(grads[i], DType::Float32) : grads[i]));
    touched.push_back(p);
    for (auto& [slot, given] : bound) {
      const Tensor& t = (*given)[i];
      check_like(opt, t, p, "state tensor", i);
      slot->push_back(writable(t));
      touched.push_back(t);
    }
  }
  args.out[0] = group.params[0];
  run_kernel(op, args);
  for (const auto& [original, copy] : write_back) copy_(original, copy);
  for (const Tensor& t : touched) t.bump_version();
  // The kernel updated the scalar slots in place: hand them back by name.
  args.state.for_each(args.hyper, [&](const char* name, auto& slot, bool) {
    if constexpr (std::is_same_v<std::decay_t<decltype(slot)>, ScalarList>) {
      if (!slot.empty()) scalars[name] = std::move(slot);
    }
  });
  return scalars;
}

using StepFn = NamedScalarLists (*)(OpId, const TensorList&, const TensorList&, const std::vector<int64_t>&,
                                    const HyperValues&, const NamedTensorLists&, NamedScalarLists);

// The optimizers, one row per PG_OPTIMIZER of op_list.def.
struct OptimizerSpec {
  const char* name;
  OpId op;
  StepFn step;
  std::vector<std::string> (*hyper)();
  std::vector<std::string> (*state)();
};

const OptimizerSpec kOptimizers[] = {
#define PG_OPTIMIZER(name, Hyper, State) \
  {#name, OpId::name, &run<Hyper, State>, &hyper_names<Hyper>, &slot_names<Hyper, State>},
#include "core/op_list.def"
};

const OptimizerSpec& find_optimizer(const std::string& name) {
  for (const OptimizerSpec& spec : kOptimizers)
    if (name == spec.name) return spec;
  PG_THROW(ValueError, kOp, "unknown optimizer '", name, "'; the optimizers are ", optimizer_names());
}
}  // namespace

NamedScalarLists optimizer_step(const std::string& name, const TensorList& params, const TensorList& grads,
                                const std::vector<int64_t>& steps, const HyperValues& hyper,
                                const NamedTensorLists& tensors, NamedScalarLists scalars) {
  const OptimizerSpec& spec = find_optimizer(name);
  return spec.step(spec.op, params, grads, steps, hyper, tensors, std::move(scalars));
}

OptimizerFields optimizer_fields(const std::string& name) {
  const OptimizerSpec& spec = find_optimizer(name);
  return {spec.hyper(), spec.state()};
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const OptimizerSpec& spec : kOptimizers) names.emplace_back(spec.name);
  return names;
}

}  // namespace pygrad
