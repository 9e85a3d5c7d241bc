// CPU kernels of the fused optimizer updates: PyTorch's per-element rules, one pass over each parameter of a group.
// Each optimizer's update<T>(hyper, state, group, i) updates parameter i; op_list.def registers one per optimizer.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "backend/cpu/parallel.h"
#include "backend/dispatch.h"
#include "backend/optimizer_args.h"
#include "core/error.h"

namespace pygrad::cpu {
namespace {

// Each element reads and writes several arrays, so threads pay off earlier than for a plain unary op.
constexpr int64_t kOptimizerGrain = 16384;

// Slot s of parameter i, or nullptr when the hyper-parameters leave the slot unused.
template <class T>
T* slot(const TensorList& s, size_t i) {
  return s.empty() ? nullptr : s[i].data<T>();
}

// Runs body(begin, end) over the elements of parameter i, threaded above the grain size. Bodies capture by
// value: pointers captured by reference are reloaded every iteration and the loops do not vectorise.
template <class Body>
void over_elements(const OptimizerGroup& group, size_t i, const Body& body) {
  parallel_for(0, group.params[i].numel(), kOptimizerGrain, body);
}

// Calls body(std::true_type) or body(std::false_type): an option becomes a compile-time constant, so the
// element loops have no branches and vectorise.
template <class Body>
void with_flag(bool flag, const Body& body) {
  if (flag) {
    body(std::true_type{});
  } else {
    body(std::false_type{});
  }
}

// g = sign * grad + weight_decay * p (sign -1 maximizes), the coupled weight decay every kind starts from.
template <class T>
inline T effective_grad(T g, T p, T sign, T weight_decay) {
  return sign * g + weight_decay * p;
}

// SGD: momentum, dampening, nesterov, weight_decay, maximize; steps[i] == 1 seeds the momentum buffer.
template <class T>
void update(const SgdHyper& h, SgdState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T* buf = slot<T>(s.momentum_buffer, i);
  const T lr = T(h.lr), wd = T(h.weight_decay), mom = T(h.momentum), keep = T(1 - h.dampening);
  const T sign = h.maximize ? T(-1) : T(1);
  if (h.momentum == 0) {
    over_elements(group, i, [=](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) p[j] -= lr * effective_grad(gr[j], p[j], sign, wd);
    });
    return;
  }
  // The buffer starts as the first gradient: buf = 0 * 0 + 1 * g.
  const bool first = group.steps[i] == 1;
  const T buf_decay = first ? T(0) : mom, grad_weight = first ? T(1) : keep;
  with_flag(h.nesterov, [&](auto nesterov) {
    over_elements(group, i, [=](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        const T g = effective_grad(gr[j], p[j], sign, wd);
        const T m = buf_decay * buf[j] + grad_weight * g;
        buf[j] = m;
        if constexpr (decltype(nesterov)::value) {
          p[j] -= lr * (g + mom * m);
        } else {
          p[j] -= lr * m;
        }
      }
    });
  });
}

// Adam / AdamW: betas, eps, weight_decay (decoupled for AdamW), amsgrad, maximize.
template <class T>
void update(const AdamHyper& h, AdamState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T *m = s.exp_avg[i].data<T>(), *v = s.exp_avg_sq[i].data<T>(), *vmax = slot<T>(s.max_exp_avg_sq, i);
  const double step = static_cast<double>(group.steps[i]);
  const double bc1 = 1 - std::pow(h.betas.beta1, step), bc2 = 1 - std::pow(h.betas.beta2, step);
  const T step_size = T(h.lr / bc1), bc2_sqrt = T(std::sqrt(bc2)), eps = T(h.eps);
  const T w1 = T(1 - h.betas.beta1), b2 = T(h.betas.beta2), w2 = T(1 - h.betas.beta2);
  const T wd = h.decoupled_weight_decay ? T(0) : T(h.weight_decay);
  const T decay = h.decoupled_weight_decay ? T(1 - h.lr * h.weight_decay) : T(1);
  const T sign = h.maximize ? T(-1) : T(1);
  with_flag(h.amsgrad, [&](auto amsgrad) {
    over_elements(group, i, [=](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        const T g = effective_grad(gr[j], p[j], sign, wd);
        const T mj = m[j] + w1 * (g - m[j]);
        T vj = v[j] * b2 + w2 * g * g;
        m[j] = mj;
        v[j] = vj;
        if constexpr (decltype(amsgrad)::value) {
          vj = std::max(vmax[j], vj);
          vmax[j] = vj;
        }
        const T denom = std::sqrt(vj) / bc2_sqrt + eps;
        p[j] = p[j] * decay - step_size * mj / denom;
      }
    });
  });
}

// RMSprop: alpha, eps, weight_decay, momentum, centered, maximize.
template <class T>
void update(const RmspropHyper& h, RmspropState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T *sq = s.square_avg[i].data<T>(), *buf = slot<T>(s.momentum_buffer, i), *gavg = slot<T>(s.grad_avg, i);
  const T lr = T(h.lr), wd = T(h.weight_decay), alpha = T(h.alpha), w = T(1 - h.alpha), eps = T(h.eps),
          mom = T(h.momentum);
  const T sign = h.maximize ? T(-1) : T(1);
  with_flag(h.centered, [&](auto centered) {
    with_flag(h.momentum > 0, [&](auto use_momentum) {
      over_elements(group, i, [=](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          const T g = effective_grad(gr[j], p[j], sign, wd);
          const T s = alpha * sq[j] + w * g * g;
          sq[j] = s;
          T avg;
          if constexpr (decltype(centered)::value) {
            const T ga = gavg[j] + w * (g - gavg[j]);
            gavg[j] = ga;
            avg = std::sqrt(s - ga * ga) + eps;
          } else {
            avg = std::sqrt(s) + eps;
          }
          if constexpr (decltype(use_momentum)::value) {
            const T bj = mom * buf[j] + g / avg;
            buf[j] = bj;
            p[j] -= lr * bj;
          } else {
            p[j] -= lr * g / avg;
          }
        }
      });
    });
  });
}

// Adagrad: lr_decay, weight_decay, eps, maximize (initial_accumulator_value fills the sum when allocated).
template <class T>
void update(const AdagradHyper& h, AdagradState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T* sum = s.sum[i].data<T>();
  const T clr = T(h.lr / (1 + static_cast<double>(group.steps[i] - 1) * h.lr_decay));
  const T wd = T(h.weight_decay), eps = T(h.eps);
  const T sign = h.maximize ? T(-1) : T(1);
  over_elements(group, i, [=](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const T g = effective_grad(gr[j], p[j], sign, wd);
      const T s = sum[j] + g * g;
      sum[j] = s;
      p[j] -= clr * g / (std::sqrt(s) + eps);
    }
  });
}

// Adadelta: rho, eps, weight_decay, maximize.
template <class T>
void update(const AdadeltaHyper& h, AdadeltaState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T *sq = s.square_avg[i].data<T>(), *acc = s.acc_delta[i].data<T>();
  const T lr = T(h.lr), wd = T(h.weight_decay), rho = T(h.rho), w = T(1 - h.rho), eps = T(h.eps);
  const T sign = h.maximize ? T(-1) : T(1);
  over_elements(group, i, [=](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const T g = effective_grad(gr[j], p[j], sign, wd);
      const T s = rho * sq[j] + w * g * g;
      sq[j] = s;
      const T delta = std::sqrt(acc[j] + eps) / std::sqrt(s + eps) * g;
      acc[j] = rho * acc[j] + w * delta * delta;
      p[j] -= lr * delta;
    }
  });
}

// Adamax: betas, eps, weight_decay, maximize.
template <class T>
void update(const AdamaxHyper& h, AdamaxState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T *m = s.exp_avg[i].data<T>(), *u = s.exp_inf[i].data<T>();
  const T clr = T(h.lr / (1 - std::pow(h.betas.beta1, static_cast<double>(group.steps[i]))));
  const T wd = T(h.weight_decay), w1 = T(1 - h.betas.beta1), b2 = T(h.betas.beta2), eps = T(h.eps);
  const T sign = h.maximize ? T(-1) : T(1);
  over_elements(group, i, [=](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const T g = effective_grad(gr[j], p[j], sign, wd);
      const T mj = m[j] + w1 * (g - m[j]);
      const T uj = std::max(u[j] * b2, std::abs(g) + eps);
      m[j] = mj;
      u[j] = uj;
      p[j] -= clr * mj / uj;
    }
  });
}

// NAdam: betas, eps, weight_decay (decoupled or not), momentum_decay, maximize; mu_product advances by one factor.
template <class T>
void update(const NadamHyper& h, NadamState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T *m = s.exp_avg[i].data<T>(), *v = s.exp_avg_sq[i].data<T>();
  const double step = static_cast<double>(group.steps[i]);
  const double bc2 = 1 - std::pow(h.betas.beta2, step);
  const double mu = h.betas.beta1 * (1.0 - 0.5 * std::pow(0.96, step * h.momentum_decay));
  const double mu_next = h.betas.beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1) * h.momentum_decay));
  const double mu_product = s.mu_product[i] * mu;
  const double mu_product_next = mu_product * mu_next;
  s.mu_product[i] = mu_product;
  const T c_grad = T(-h.lr * (1.0 - mu) / (1.0 - mu_product));
  const T c_avg = T(-h.lr * mu_next / (1.0 - mu_product_next));
  const T bc2_t = T(bc2), eps = T(h.eps), w1 = T(1 - h.betas.beta1), b2 = T(h.betas.beta2), w2 = T(1 - h.betas.beta2);
  const T wd = h.decoupled_weight_decay ? T(0) : T(h.weight_decay);
  const T decay = h.decoupled_weight_decay ? T(1 - h.lr * h.weight_decay) : T(1);
  const T sign = h.maximize ? T(-1) : T(1);
  over_elements(group, i, [=](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const T g = effective_grad(gr[j], p[j], sign, wd);
      const T mj = m[j] + w1 * (g - m[j]);
      const T vj = v[j] * b2 + w2 * g * g;
      m[j] = mj;
      v[j] = vj;
      const T denom = std::sqrt(vj / bc2_t) + eps;
      p[j] = p[j] * decay + c_grad * g / denom + c_avg * mj / denom;
    }
  });
}

// RAdam: betas, eps, weight_decay (decoupled or not), maximize; the rectified step once rho_t > 5.
template <class T>
void update(const RadamHyper& h, RadamState& s, const OptimizerGroup& group, size_t i) {
  T* p = group.params[i].data<T>();
  const T* gr = group.grads[i].data<T>();
  T *m = s.exp_avg[i].data<T>(), *v = s.exp_avg_sq[i].data<T>();
  const double step = static_cast<double>(group.steps[i]);
  const double bc1 = 1 - std::pow(h.betas.beta1, step), bc2 = 1 - std::pow(h.betas.beta2, step);
  const double rho_inf = 2 / (1 - h.betas.beta2) - 1;
  const double rho_t = rho_inf - 2 * step * std::pow(h.betas.beta2, step) / bc2;
  const bool rectify = rho_t > 5.0;
  const double rect =
      rectify ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0.0;
  const T step_size = T(h.lr / bc1), rect_t = T(rect), bc2_sqrt = T(std::sqrt(bc2)), eps = T(h.eps);
  const T w1 = T(1 - h.betas.beta1), b2 = T(h.betas.beta2), w2 = T(1 - h.betas.beta2);
  const T wd = h.decoupled_weight_decay ? T(0) : T(h.weight_decay);
  const T decay = h.decoupled_weight_decay ? T(1 - h.lr * h.weight_decay) : T(1);
  const T sign = h.maximize ? T(-1) : T(1);
  with_flag(rectify, [&](auto rectified) {
    over_elements(group, i, [=](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        const T g = effective_grad(gr[j], p[j], sign, wd);
        const T mj = m[j] + w1 * (g - m[j]);
        const T vj = v[j] * b2 + w2 * g * g;
        m[j] = mj;
        v[j] = vj;
        if constexpr (decltype(rectified)::value) {
          p[j] = p[j] * decay - step_size * mj * (bc2_sqrt / (std::sqrt(vj) + eps)) * rect_t;
        } else {
          p[j] = p[j] * decay - step_size * mj;
        }
      }
    });
  });
}

// The kernel of one optimizer: its update<T> over every parameter of the group (and its state), in place.
template <OpId op, class Hyper, class State>
void optimizer_kernel(KernelArgs& args) {
  auto& a = static_cast<OptimizerStepArgs<Hyper, State>&>(args);
  const OptimizerGroup& group = a.group;
  for (size_t i = 0; i < group.params.size(); ++i) {
    PG_DISPATCH_FLOATING(group.params[i].dtype(), op_name(op), [&] { update<scalar_t>(a.hyper, a.state, group, i); });
  }
}

#define PG_OPTIMIZER(name, Hyper, State) \
  const KernelRegistrar register_##name(OpId::name, Device::CPU, &optimizer_kernel<OpId::name, Hyper, State>);
#include "core/op_list.def"

}  // namespace
}  // namespace pygrad::cpu
