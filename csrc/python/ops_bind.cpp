// Bindings of the ops as pygrad functions and Tensor methods; elementwise ones are generated from the registry.
#include "core/error.h"
#include "core/random.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {

py::object tensor_result(Tensor t, bool requires_grad) {
  if (requires_grad) t.set_requires_grad(true);
  return py::cast(t);
}

// Registers fn as a public function pygrad.<name> (listed in _C.__all__, which pygrad re-exports).
template <class Fn, class... Extra>
void def_public(py::module_& m, const char* name, Fn fn, const Extra&... extra) {
  m.def(name, fn, extra...);
  public_names().push_back(name);
}

// Registers fn as pygrad.<name> and Tensor.<name>.
template <class Fn, class... Extra>
void def_both(py::module_& m, py::class_<Tensor>& cls, const char* name, Fn fn, const Extra&... extra) {
  if constexpr (sizeof...(Extra) > 0) {
    def_public(m, name, fn, py::arg("input"), extra...);
  } else {
    def_public(m, name, fn);
  }
  cls.def(name, fn, extra...);
}

// torch.nonzero: [count, ndim] positions, or with as_tuple one 1-d tensor of indices per dim.
py::object nonzero_positions(const Tensor& x, bool as_tuple) {
  Tensor positions = nonzero(x);
  if (!as_tuple) return py::cast(positions);
  py::tuple columns(x.dim());
  for (int64_t d = 0; d < x.dim(); ++d) columns[d] = py::cast(select(positions, 1, d));
  return std::move(columns);
}

py::object max_or_min(const Tensor& x, py::object dim, bool keepdim, bool is_max) {
  if (dim.is_none()) {
    ReleaseGilIfLarge gil(x.numel());
    return py::cast(is_max ? amax(x) : amin(x));
  }
  if (py::isinstance<Tensor>(dim))
    return py::cast(is_max ? maximum(x, dim.cast<Tensor>()) : minimum(x, dim.cast<Tensor>()));
  std::pair<Tensor, Tensor> r;
  {
    const int64_t d = dim.cast<int64_t>();
    ReleaseGilIfLarge gil(x.numel());
    r = is_max ? max_dim(x, d, keepdim) : min_dim(x, d, keepdim);
  }
  py::object type = py::module_::import("pygrad._C").attr(is_max ? "_max_result" : "_min_result");
  return type(r.first, r.second);
}

double correction_of(py::object unbiased, py::object correction) {
  if (!correction.is_none()) return correction.cast<double>();
  if (!unbiased.is_none()) return unbiased.cast<bool>() ? 1.0 : 0.0;
  return 1.0;
}

Tensor clamp_bound_args(const Tensor& x, py::object min, py::object max) {
  return clamp(x, min.is_none() ? Tensor() : to_operand(min, "clamp"),
               max.is_none() ? Tensor() : to_operand(max, "clamp"));
}

// The binding of a registry binary op: Python numbers become wrapped scalars; the GIL is released for large inputs.
template <Tensor (*Op)(const Tensor&, const Tensor&)>
auto binary_binding(const char* name) {
  return [name](py::handle a, py::handle b) {
    Tensor ta = to_operand(a, name), tb = to_operand(b, name);
    Tensor out;
    {
      ReleaseGilIfLarge gil(std::max(ta.numel(), tb.numel()));
      out = Op(ta, tb);
    }
    return to_python(std::move(out));
  };
}

}  // namespace

std::vector<std::string>& public_names() {
  static std::vector<std::string> names;
  return names;
}

void bind_ops(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));

  // ---- elementwise, generated from the registry
#define PG_UNARY_OP(name, Functor, kind, doc) \
  def_both(                                   \
      m, cls, #name,                          \
      [](const Tensor& x) {                   \
        Tensor out;                           \
        {                                     \
          ReleaseGilIfLarge gil(x.numel());   \
          out = name(x);                      \
        }                                     \
        return to_python(std::move(out));     \
      },                                      \
      doc);
#define PG_BINARY_OP(name, Functor, kind, doc) \
  def_both(m, cls, #name, binary_binding<&name>(#name), py::arg("other"), doc);
#define PG_INTERNAL_BINARY_OP(name, Functor, kind, doc) m.def("_" #name, binary_binding<&name>(#name), doc);
#include "core/op_list.def"

  m.def("leaky_relu", &leaky_relu, py::arg("input"), py::arg("negative_slope") = 0.01,
        "x if x > 0 else negative_slope * x.");
  m.def("gelu", &gelu, py::arg("input"), py::arg("approximate") = "none",
        "x * Phi(x) (approximate='tanh': the tanh form).");
  def_both(m, cls, "clamp", &clamp_bound_args, py::arg("min") = py::none(), py::arg("max") = py::none());
  def_both(m, cls, "clip", &clamp_bound_args, py::arg("min") = py::none(), py::arg("max") = py::none());
  def_public(
      m, "where",
      [](const Tensor& condition, py::handle x, py::handle y) {
        return where(condition, to_operand(x, "where"), to_operand(y, "where"));
      },
      py::arg("condition"), py::arg("input"), py::arg("other"));
  cls.def(
      "where",
      [](const Tensor& self, const Tensor& condition, py::handle y) {
        return where(condition, self, to_operand(y, "where"));
      },
      py::arg("condition"), py::arg("other"));
  def_both(
      m, cls, "masked_fill",
      [](const Tensor& x, const Tensor& mask, py::handle value) {
        Tensor v = to_operand(value, "masked_fill");
        return where(mask, to_dtype(v, x.dtype()), x);
      },
      py::arg("mask"), py::arg("value"));
  def_both(m, cls, "square", &square);
  def_public(m, "promote_types", [](py::handle a, py::handle b) {
    return dtype_object(promote_types(to_dtype_arg(a, "promote_types"), to_dtype_arg(b, "promote_types")));
  });
  def_public(m, "can_cast", [](py::handle from, py::handle to) {
    return can_cast(to_dtype_arg(from, "can_cast"), to_dtype_arg(to, "can_cast"));
  });
  def_public(m, "result_type", [](py::handle a, py::handle b) {
    return dtype_object(result_type(to_operand(a, "result_type"), to_operand(b, "result_type")));
  });

  // ---- reductions
  def_both(
      m, cls, "sum",
      [](const Tensor& x, py::object dim, bool keepdim, py::object dtype) {
        Dims dims = to_dims(dim, "sum");
        std::optional<DType> out_dtype = to_optional_dtype(dtype, "sum");
        ReleaseGilIfLarge gil(x.numel());  // only after every Python argument is converted
        return sum(x, dims, keepdim, out_dtype);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  def_both(
      m, cls, "mean",
      [](const Tensor& x, py::object dim, bool keepdim) {
        Dims dims = to_dims(dim, "mean");
        ReleaseGilIfLarge gil(x.numel());
        return mean(x, dims, keepdim);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "amax",
      [](const Tensor& x, py::object dim, bool keepdim) { return amax(x, to_dims(dim, "amax"), keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "amin",
      [](const Tensor& x, py::object dim, bool keepdim) { return amin(x, to_dims(dim, "amin"), keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "max", [](const Tensor& x, py::object dim, bool keepdim) { return max_or_min(x, dim, keepdim, true); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "min", [](const Tensor& x, py::object dim, bool keepdim) { return max_or_min(x, dim, keepdim, false); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "argmax",
      [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return argmax(x, dim, keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "argmin",
      [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return argmin(x, dim, keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(
      m, cls, "var",
      [](const Tensor& x, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
        return var(x, to_dims(dim, "var"), correction_of(unbiased, correction), keepdim);
      },
      py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
      py::arg("correction") = py::none());
  def_both(
      m, cls, "std",
      [](const Tensor& x, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
        return std_dev(x, to_dims(dim, "std"), correction_of(unbiased, correction), keepdim);
      },
      py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
      py::arg("correction") = py::none());
  def_both(
      m, cls, "logsumexp",
      [](const Tensor& x, py::object dim, bool keepdim) { return logsumexp(x, to_dims(dim, "logsumexp"), keepdim); },
      py::arg("dim"), py::arg("keepdim") = false);
  def_both(m, cls, "softmax", &softmax, py::arg("dim"));
  def_both(m, cls, "log_softmax", &log_softmax, py::arg("dim"));

  // ---- linear algebra, joining, indexing
  def_public(m, "matmul", [](const Tensor& a, const Tensor& b) {
    ReleaseGilIfLarge gil(a.numel() + b.numel());
    return matmul(a, b);
  });
  cls.def("matmul", [](const Tensor& a, const Tensor& b) {
    ReleaseGilIfLarge gil(a.numel() + b.numel());
    return matmul(a, b);
  });
  def_public(m, "cat", &cat, py::arg("tensors"), py::arg("dim") = 0);
  def_public(m, "concat", &cat, py::arg("tensors"), py::arg("dim") = 0);
  def_public(m, "stack", &stack, py::arg("tensors"), py::arg("dim") = 0);
  def_both(m, cls, "gather", &gather, py::arg("dim"), py::arg("index"));
  def_both(m, cls, "scatter_add", &scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
  def_both(m, cls, "index_select", &index_select, py::arg("dim"), py::arg("index"));
  def_both(
      m, cls, "index_add",
      [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, double alpha) {
        if (alpha == 1.0) return index_add(x, dim, index, source);
        Tensor factor =
            is_floating(source.dtype()) ? wrapped_scalar(alpha) : wrapped_scalar(static_cast<int64_t>(alpha));
        return index_add(x, dim, index, mul(source, factor));
      },
      py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1.0);
  def_both(
      m, cls, "as_strided",
      [](const Tensor& x, py::handle size, py::handle stride, std::optional<int64_t> storage_offset) {
        return as_strided(x, to_shape_sequence(size, "as_strided"), to_shape_sequence(stride, "as_strided"),
                          storage_offset);
      },
      py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none(),
      "A view of the tensor's memory with the given sizes and strides (storage_offset: x's by default).");
  cls.def("index_copy_", &index_copy_, py::arg("dim"), py::arg("index"), py::arg("source"));
  def_both(m, cls, "nonzero", &nonzero_positions, py::kw_only(), py::arg("as_tuple") = false);
  m.def("one_hot", &one_hot, py::arg("tensor"), py::arg("num_classes") = -1);
  def_public(m, "reshape",
             [](const Tensor& x, py::handle shape) { return reshape(x, to_shape_sequence(shape, "reshape")); });
  def_public(m, "permute",
             [](const Tensor& x, py::handle dims) { return permute(x, to_shape_sequence(dims, "permute")); });
  def_public(m, "transpose", &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"));
  def_public(
      m, "squeeze",
      [](const Tensor& x, py::object dim) { return dim.is_none() ? squeeze(x) : squeeze(x, to_dims(dim, "squeeze")); },
      py::arg("input"), py::arg("dim") = py::none());
  def_public(m, "unsqueeze", &unsqueeze, py::arg("input"), py::arg("dim"));
  def_public(m, "flatten", &flatten, py::arg("input"), py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  def_public(m, "narrow", &narrow, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"));
  def_public(m, "select", &select, py::arg("input"), py::arg("dim"), py::arg("index"));
  def_public(m, "detach", &detach);
  def_public(m, "broadcast_to",
             [](const Tensor& x, py::handle shape) { return expand(x, to_shape_sequence(shape, "broadcast_to")); });

  // ---- losses
  m.def("mse_loss", &mse_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def(
      "cross_entropy",
      [](const Tensor& input, const Tensor& target, const std::string& reduction, int64_t ignore_index,
         double label_smoothing, py::object weight) {
        return cross_entropy(input, target, reduction, ignore_index, label_smoothing, optional_tensor(weight));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("ignore_index") = -100,
      py::arg("label_smoothing") = 0.0, py::arg("weight") = py::none());
  m.def(
      "nll_loss",
      [](const Tensor& input, const Tensor& target, const std::string& reduction, int64_t ignore_index,
         py::object weight) { return nll_loss(input, target, reduction, ignore_index, optional_tensor(weight)); },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("ignore_index") = -100,
      py::arg("weight") = py::none());
  m.def(
      "binary_cross_entropy_with_logits",
      [](const Tensor& input, const Tensor& target, py::object weight, const std::string& reduction,
         py::object pos_weight) {
        return binary_cross_entropy_with_logits(input, target, reduction, optional_tensor(weight),
                                                optional_tensor(pos_weight));
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      py::arg("pos_weight") = py::none());

  // ---- factories (Python wraps these with PyTorch's signatures)
  m.def("_empty", [](const Shape& shape, py::handle dtype, bool requires_grad) {
    return tensor_result(empty(shape, to_dtype_arg(dtype, "empty")), requires_grad);
  });
  m.def("_full", [](const Shape& shape, py::handle value, py::handle dtype, bool requires_grad) {
    DType d = to_dtype_arg(dtype, "full");
    Tensor t = PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr()) ? full_int(shape, value.cast<int64_t>(), d)
                                                                       : full(shape, value.cast<double>(), d);
    return tensor_result(t, requires_grad);
  });
  m.def(
      "_cumsum",
      [](const Tensor& x, int64_t dim, bool reverse) {
        ReleaseGilIfLarge gil(x.numel());
        return cumsum(x, dim, reverse);
      },
      py::arg("input"), py::arg("dim"), py::arg("reverse") = false,
      "Running sums along dim in x's dtype (reverse: from the last element); backs pygrad.cumsum.");
  m.def(
      "_topk_indices",
      [](const Tensor& x, int64_t k, int64_t dim, bool largest) {
        ReleaseGilIfLarge gil(x.numel());
        return topk_indices(x, k, dim, largest);
      },
      py::arg("input"), py::arg("k"), py::arg("dim"), py::arg("largest"),
      "int64 positions along dim of the k largest (smallest) in ranking order; backs pygrad.topk.");
  m.def("_arange", [](double start, double end, double step, py::handle dtype, bool requires_grad) {
    return tensor_result(arange(start, end, step, to_dtype_arg(dtype, "arange")), requires_grad);
  });
  m.def("_linspace", [](double start, double end, int64_t steps, py::handle dtype, bool requires_grad) {
    return tensor_result(linspace(start, end, steps, to_dtype_arg(dtype, "linspace")), requires_grad);
  });
  m.def("_eye", [](int64_t n, int64_t mm, py::handle dtype, bool requires_grad) {
    return tensor_result(eye(n, mm, to_dtype_arg(dtype, "eye")), requires_grad);
  });
  m.def("_rand", [](const Shape& shape, py::handle dtype, bool requires_grad) {
    DType d = to_dtype_arg(dtype, "rand");
    ReleaseGilIfLarge gil(checked_numel(shape, "rand"));
    Tensor t = rand(shape, d);
    return t;
  });
  m.def("_randn", [](const Shape& shape, py::handle dtype, bool requires_grad) {
    Tensor t = randn(shape, to_dtype_arg(dtype, "randn"));
    return t;
  });
  m.def("_randint", [](int64_t low, int64_t high, const Shape& shape, py::handle dtype) {
    return randint(low, high, shape, to_dtype_arg(dtype, "randint"));
  });
  m.def(
      "_bernoulli_mask",
      [](const Shape& shape, double keep_probability, py::handle dtype) {
        return bernoulli_mask(shape, keep_probability, to_dtype_arg(dtype, "bernoulli"));
      },
      py::arg("shape"), py::arg("keep_probability"), py::arg("dtype"));
  def_public(m, "from_numpy", [](py::handle array) {
    PG_CHECK(py::isinstance<py::array>(array), TypeError, "from_numpy", "expected a numpy.ndarray, got ",
             std::string(py::str(py::type::of(array))));
    return tensor_from_numpy(py::reinterpret_borrow<py::array>(array), "from_numpy");
  });
}

}  // namespace pygrad::python
