// The pygrad._C module: error mapping, dtype objects, argument conversion, grad mode, threads, random seed,
// the autograd entry points and backend queries.
#include <pybind11/functional.h>

#include <cstring>

#include "autograd/engine.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm/gemm.h"
#include "backend/cpu/peak.h"
#include "backend/device_info.h"
#include "backend/dispatch.h"
#include "core/autocast.h"
#include "core/error.h"
#include "core/grad_mode.h"
#include "core/random.h"
#include "ops/derivatives.h"
#include "python/convert.h"

namespace pygrad::python {

namespace {
// Owned for the life of the process (never released, so no decref runs after interpreter shutdown).
PyObject* dtype_objects[kNumDTypes];

DType dtype_from_numpy(const py::dtype& dt, const char* op) {
  const char kind = dt.kind();
  const ssize_t size = dt.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'i') {
    if (size == 1) return DType::Int8;
    if (size == 2) return DType::Int16;
    if (size == 4) return DType::Int32;
    if (size == 8) return DType::Int64;
  }
  if (kind == 'f') {
    if (size == 2) return DType::Float16;
    if (size == 4) return DType::Float32;
    if (size == 8) return DType::Float64;
  }
  PG_THROW(TypeError, op, "unsupported dtype ", std::string(py::str(dt)),
           "; pygrad supports bool, uint8, int8, int16, int32, int64, float16, float32 and float64 (and bfloat16, "
           "which numpy lacks)");
}
}  // namespace

py::object dtype_object(DType dtype) {
  return py::reinterpret_borrow<py::object>(dtype_objects[static_cast<int>(dtype)]);
}

DType to_dtype_arg(py::handle h, const char* op) {
  if (py::isinstance<DTypeObject>(h)) return h.cast<DTypeObject&>().dtype;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float32;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int64;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
  if (py::isinstance<py::str>(h)) {
    std::string name = h.cast<std::string>();
    for (int i = 0; i < kNumDTypes; ++i)
      if (name == dtype_name(static_cast<DType>(i))) return static_cast<DType>(i);
    PG_THROW(TypeError, op, "unknown dtype '", name, "'");
  }
  try {
    return dtype_from_numpy(py::dtype::from_args(py::reinterpret_borrow<py::object>(h)), op);
  } catch (const py::error_already_set&) {
    PG_THROW(TypeError, op, "expected a dtype, got ", std::string(py::str(py::type::of(h))));
  }
}

std::optional<DType> to_optional_dtype(py::handle h, const char* op) {
  if (h.is_none()) return std::nullopt;
  return to_dtype_arg(h, op);
}

namespace {
int64_t to_size(py::handle h, const char* op) {
  if (PyBool_Check(h.ptr()) || !PyIndex_Check(h.ptr()))
    PG_THROW(TypeError, op, "sizes must be integers, got ", std::string(py::str(py::type::of(h))));
  int overflow = 0;
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
  long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  PG_CHECK(!overflow, ValueError, op, "size ", std::string(py::str(h)), " does not fit in 64 bits");
  return v;
}
}  // namespace

Shape to_shape_sequence(py::handle h, const char* op) {
  Shape shape;
  if (py::isinstance<Tensor>(h)) {
    PG_THROW(TypeError, op, "sizes must be integers or a sequence of integers, got a Tensor");
  }
  if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h)) return {to_size(h, op)};
  for (py::handle item : py::reinterpret_borrow<py::sequence>(h)) shape.push_back(to_size(item, op));
  return shape;
}

Shape to_shape(const py::args& args, const char* op) {
  if (args.size() == 1 && py::isinstance<py::sequence>(args[0])) return to_shape_sequence(args[0], op);
  Shape shape;
  for (py::handle item : args) shape.push_back(to_size(item, op));
  return shape;
}

Dims to_dims(py::handle h, const char* op) {
  if (h.is_none()) return {};
  return to_shape_sequence(h, op);
}

namespace {
const py::detail::type_info* tensor_type_info() {
  static const py::detail::type_info* info = py::detail::get_type_info(typeid(Tensor), true);
  return info;
}
}  // namespace

const Tensor* tensor_ptr(py::handle h) {
  const py::detail::type_info* info = tensor_type_info();
  PyTypeObject* type = Py_TYPE(h.ptr());
  if (type != info->type && !PyType_IsSubtype(type, info->type)) return nullptr;
  // Tensor is the only pybind11 base of any subclass, so its value is the instance's first one.
  auto* inst = reinterpret_cast<py::detail::instance*>(h.ptr());
  return static_cast<const Tensor*>(inst->get_value_and_holder().value_ptr());
}

py::object to_python(Tensor t) {
  auto copy = [](const void* p) -> void* { return new Tensor(*static_cast<const Tensor*>(p)); };
  auto move = [](const void* p) -> void* {
    return new Tensor(std::move(*const_cast<Tensor*>(static_cast<const Tensor*>(p))));
  };
  return py::reinterpret_steal<py::object>(py::detail::type_caster_generic::cast(
      &t, py::return_value_policy::move, py::handle(), tensor_type_info(), copy, move));
}

Tensor to_operand(py::handle h, const char* op) {
  if (const Tensor* t = tensor_ptr(h)) {
    if (t->defined()) return *t;
  }
  if (py::isinstance<Tensor>(h)) return h.cast<Tensor>();
  if (PyBool_Check(h.ptr())) return wrapped_scalar(h.ptr() == Py_True);
  if (PyLong_Check(h.ptr())) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    PG_CHECK(!overflow, ValueError, op, "integer ", std::string(py::str(h)), " does not fit in int64");
    return wrapped_scalar(static_cast<int64_t>(v));
  }
  if (PyFloat_Check(h.ptr())) return wrapped_scalar(PyFloat_AsDouble(h.ptr()));
  PG_CHECK(!py::isinstance<py::str>(h) && !py::isinstance<py::bytes>(h), TypeError, op,
           "expected a Tensor or a number, got ", std::string(py::str(py::type::of(h))));
  if (py::isinstance<py::array>(h) || py::isinstance<py::sequence>(h) || PyNumber_Check(h.ptr())) {
    py::module_ pygrad = py::module_::import("pygrad");
    return pygrad.attr("tensor")(h).cast<Tensor>();
  }
  PG_THROW(TypeError, op, "expected a Tensor or a number, got ", std::string(py::str(py::type::of(h))));
}

Tensor tensor_from_numpy(py::array array, const char* op) {
  DType dtype = dtype_from_numpy(array.dtype(), op);
  PG_CHECK(array.dtype().byteorder() != '>', TypeError, op, "big-endian arrays are not supported");
  const ssize_t itemsize = array.itemsize();
  Shape shape(array.shape(), array.shape() + array.ndim());
  Shape strides(array.ndim());
  int64_t extent = array.size() > 0 ? itemsize : 0;
  for (ssize_t d = 0; d < array.ndim(); ++d) {
    ssize_t s = array.strides()[d];
    PG_CHECK(s >= 0, ValueError, op,
             "arrays with negative strides are not supported; pass a copy (np.ascontiguousarray)");
    PG_CHECK(s % itemsize == 0, ValueError, op, "array strides must be multiples of the element size");
    strides[d] = s / itemsize;
    if (array.shape()[d] > 0) extent += (array.shape()[d] - 1) * s;
  }
  if (array.size() == 0) extent = 0;
  // The storage keeps the array alive; releasing it needs the GIL, whichever thread drops the last tensor.
  auto* holder = new py::object(array);
  std::shared_ptr<void> owner(holder, [](void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(p);
  });
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::wrap(const_cast<void*>(array.data()), static_cast<size_t>(extent), Device::CPU, owner);
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  impl->version = std::make_shared<VersionCounter>();
  return Tensor(std::move(impl));
}

py::array tensor_to_numpy(const Tensor& t, py::handle base) {
  PG_CHECK(t.device() == Device::CPU, TypeError, "numpy", "can't convert a ", device_name(t.device()),
           " tensor to numpy; use .cpu() first");
  // numpy has no bfloat16 (torch raises the same way); the others map one to one.
  PG_CHECK(t.dtype() != DType::BFloat16, TypeError, "numpy",
           "numpy has no bfloat16; convert first, e.g. t.float().numpy()");
  static const char* formats[kNumDTypes] = {"?", "B", "b", "h", "i", "q", "e", "", "f", "d"};
  std::vector<ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * static_cast<ssize_t>(t.element_size()));
  py::dtype dt(formats[static_cast<int>(t.dtype())]);
  return py::array(dt, shape, strides, t.raw_data(), base);
}

std::vector<IndexItem> to_index_items(py::handle index) {
  std::vector<IndexItem> items;
  auto one = [&](py::handle h) {
    if (h.is_none()) {
      items.push_back({IndexItem::None});
    } else if (h.ptr() == Py_Ellipsis) {
      items.push_back({IndexItem::Ellipsis});
    } else if (PySlice_Check(h.ptr())) {
      auto* slice = reinterpret_cast<PySliceObject*>(h.ptr());
      auto bound = [](PyObject* v, int64_t none) -> int64_t {
        if (v == Py_None) return none;
        py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(v));
        if (!index) throw py::error_already_set();
        int overflow = 0;
        long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
        if (overflow) return overflow > 0 ? INT64_MAX : INT64_MIN + 1;
        return value;
      };
      IndexItem item{IndexItem::Slice};
      item.start = bound(slice->start, kNoBound);
      item.stop = bound(slice->stop, kNoBound);
      item.step = bound(slice->step, 1);
      items.push_back(item);
    } else if (PyBool_Check(h.ptr()) || std::strcmp(Py_TYPE(h.ptr())->tp_name, "numpy.bool") == 0) {
      // A bool is a 0-d mask, as in PyTorch: True adds a dim of size 1, like None; False one of size 0.
      items.push_back({IndexItem::None, 0, 0, h.cast<bool>() ? 1 : 0});
    } else if (PyLong_Check(h.ptr())) {
      items.push_back({IndexItem::Int, h.cast<int64_t>()});
    } else if (!py::isinstance<Tensor>(h) && !py::isinstance<py::array>(h) && PyIndex_Check(h.ptr())) {
      // Integer-like scalars (numpy.int64 and friends) index like ints, as in PyTorch.
      py::object value = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
      if (!value) throw py::error_already_set();
      items.push_back({IndexItem::Int, value.cast<int64_t>()});
    } else if (py::isinstance<Tensor>(h) && h.cast<Tensor>().dim() == 0 &&
               is_integral(h.cast<Tensor>().dtype(), false)) {
      py::object value = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));  // Tensor.__index__
      if (!value) throw py::error_already_set();
      items.push_back({IndexItem::Int, value.cast<int64_t>()});
    } else if (py::isinstance<Tensor>(h)) {
      IndexItem item{IndexItem::TensorIndex};
      item.tensor = h.cast<Tensor>();
      items.push_back(item);
    } else if (py::isinstance<py::list>(h) || py::isinstance<py::array>(h) || py::isinstance<py::tuple>(h)) {
      // A list, numpy array or (inside the index tuple) tuple of ints or bools: the tensor it converts to.
      py::array array = py::module_::import("numpy").attr("asarray")(h);
      const char kind = array.dtype().kind();
      PG_CHECK(kind == 'i' || kind == 'u' || kind == 'b' || array.size() == 0, IndexError, "index",
               "lists and arrays used as indices must hold integers or bools, got dtype ",
               std::string(py::str(array.dtype())));
      IndexItem item{IndexItem::TensorIndex};
      item.tensor = tensor_from_numpy(array.attr("astype")(kind == 'b' ? "bool" : "int64"), "index");
      items.push_back(item);
    } else {
      PG_THROW(IndexError, "index",
               "only integers, slices (`:`), ellipsis (`...`), None, and int64 or bool "
               "tensors, lists or arrays are valid indices (got ",
               std::string(py::str(py::type::of(h))), ")");
    }
  };
  if (py::isinstance<py::tuple>(index)) {
    for (py::handle h : py::reinterpret_borrow<py::tuple>(index)) one(h);
  } else {
    one(index);
  }
  return items;
}

}  // namespace pygrad::python

using namespace pygrad;
using namespace pygrad::python;

PYBIND11_MODULE(_C, m) {
  m.doc() = "pygrad's C++ core: tensors, ops, autograd and CPU kernels";
  // A malformed PYGRAD_GEMM_BLOCKS fails the import, naming the variable, instead of a kernel later.
  if (!cpu::gemm_blocks_override_error().empty()) throw std::runtime_error(cpu::gemm_blocks_override_error());

  static py::exception<pygrad::Error> unused(m, "_UnusedError");
  (void)unused;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const pygrad::Error& e) {
      PyObject* type = PyExc_RuntimeError;
      switch (e.kind()) {
        case ErrorKind::ValueError: type = PyExc_ValueError; break;
        case ErrorKind::TypeError: type = PyExc_TypeError; break;
        case ErrorKind::IndexError: type = PyExc_IndexError; break;
        case ErrorKind::RuntimeError: type = PyExc_RuntimeError; break;
      }
      PyErr_SetString(type, e.what());
    }
  });

  py::class_<DTypeObject>(m, "dtype")
      .def_property_readonly("is_floating_point", [](const DTypeObject& d) { return is_floating(d.dtype); })
      .def_property_readonly("itemsize", [](const DTypeObject& d) { return dtype_size(d.dtype); })
      .def_property_readonly("is_signed",
                             [](const DTypeObject& d) { return d.dtype != DType::Bool && d.dtype != DType::UInt8; })
      .def_property_readonly("is_complex", [](const DTypeObject&) { return false; })
      .def("__repr__", [](const DTypeObject& d) { return std::string("pygrad.") + dtype_name(d.dtype); })
      .def("__str__", [](const DTypeObject& d) { return std::string("pygrad.") + dtype_name(d.dtype); })
      .def("__eq__",
           [](const DTypeObject& d, py::handle other) {
             try {
               return to_dtype_arg(other, "dtype") == d.dtype;
             } catch (const pygrad::Error&) {
               return false;
             }
           })
      .def("__hash__", [](const DTypeObject& d) { return static_cast<int>(d.dtype); })
      .def("__reduce__", [](const DTypeObject& d) {
        return py::make_tuple(py::module_::import("pygrad").attr("_dtype_from_name"),
                              py::make_tuple(dtype_name(d.dtype)));
      });
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType d = static_cast<DType>(i);
    dtype_objects[static_cast<int>(d)] = py::cast(DTypeObject{d}).release().ptr();
    m.attr(dtype_name(d)) = dtype_object(d);
  }

  m.def("is_grad_enabled", &is_grad_enabled);
  m.def("set_grad_enabled", &set_grad_enabled);
  m.def("_set_default_float_dtype", [](py::handle dtype) {
    const DType d = to_dtype_arg(dtype, "set_default_dtype");
    PG_CHECK(is_floating(d), TypeError, "set_default_dtype", "only floating-point types are supported");
    default_float_slot().store(d, std::memory_order_relaxed);
  });
  m.def("_autocast_cpu_enabled", [] { return autocast_state().cpu_enabled; });
  // Autocast state of the calling thread, per device type ("cpu" or "cuda"): (enabled, dtype).
  m.def("_autocast_state", [](const std::string& device) {
    const AutocastState& s = autocast_state();
    const bool cpu = device == "cpu";
    PG_CHECK(cpu || device == "cuda", ValueError, "autocast", "unsupported device type '", device, "'");
    return py::make_tuple(cpu ? s.cpu_enabled : s.cuda_enabled, dtype_object(cpu ? s.cpu_dtype : s.cuda_dtype));
  });
  m.def("_set_autocast_state", [](const std::string& device, bool enabled, py::handle dtype) {
    AutocastState& s = autocast_state();
    const DType d = to_dtype_arg(dtype, "autocast");
    PG_CHECK(device == "cpu" || device == "cuda", ValueError, "autocast", "unsupported device type '", device, "'");
    (device == "cpu" ? s.cpu_enabled : s.cuda_enabled) = enabled;
    (device == "cpu" ? s.cpu_dtype : s.cuda_dtype) = d;
  });
  m.def("set_num_threads", [](int n) {
    PG_CHECK(n >= 1, ValueError, "set_num_threads", "expected a positive thread count, got ", n);
    set_num_threads(n);
  });
  m.def("get_num_threads", [] { return get_num_threads(); });
  m.def("_allocator_stats", [] {
    AllocatorStats s = allocator_stats();
    py::dict d;
    d["cached_bytes"] = s.cached_bytes;
    d["cached_blocks"] = s.cached_blocks;
    d["limit_bytes"] = s.limit_bytes;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    return d;
  });
  m.def("_empty_cache", &empty_cache);
  m.def("manual_seed", [](py::int_ seed) {
    unsigned long long value = PyLong_AsUnsignedLongLongMask(seed.ptr());
    manual_seed(static_cast<uint64_t>(value));
  });
  m.def("initial_seed", &initial_seed);
  m.def("cuda_is_built", &cuda_is_built);
  m.def("cuda_runtime_version", &cuda_runtime_version);
  m.def("cuda_is_available", &cuda_is_available);
  m.def("cuda_device_count", &cuda_device_count);
  m.def("cuda_unavailable_reason", &cuda_unavailable_reason);
  m.def("cpu_capability", [] { return std::string(cpu::cpu_capability_name(cpu::cpu_capability())); });
  m.def(
      "cpu_peak_gflops",
      [](int threads) {
        py::gil_scoped_release release;
        return cpu::cpu_peak_gflops(threads);
      },
      py::arg("threads"));
  m.def("cpu_cache_sizes", [] {
    const cpu::CpuCaches& c = cpu::cpu_caches();
    py::dict d;
    d["l1d"] = c.l1d, d["l2"] = c.l2, d["l3"] = c.l3, d["source"] = std::string(c.source);
    return d;
  });
  m.def(
      "_gemm_blocksizes",
      [](bool f64) {
        const cpu::GemmBlocksizes b = cpu::gemm_blocksizes(f64);
        py::dict d;
        d["mr"] = b.mr, d["nr"] = b.nr, d["mc"] = b.mc, d["kc"] = b.kc, d["nc"] = b.nc;
        return d;
      },
      py::arg("f64") = false);
  // Test hook for the GEMM epilogue: act(a @ b + bias) on 2-D arrays of any strides (float32 or float64).
  m.def(
      "_gemm_bias_act",
      [](py::array a, py::array b, py::object bias, const std::string& act, int threads) {
        auto run = [&](auto zero) -> py::array {
          using T = decltype(zero);
          PG_CHECK(a.ndim() == 2 && b.ndim() == 2 && a.shape(1) == b.shape(0) && a.dtype().is(py::dtype::of<T>()) &&
                       b.dtype().is(py::dtype::of<T>()),
                   ValueError, "_gemm_bias_act", "bad operands");
          const int64_t m = a.shape(0), k = a.shape(1), n = b.shape(1), es = sizeof(T);
          py::array_t<T> out({m, n});
          const T* bp = nullptr;
          int64_t bs = 1;
          py::array bias_arr;
          if (!bias.is_none()) {
            bias_arr = bias.cast<py::array>();
            PG_CHECK(bias_arr.ndim() == 1 && bias_arr.shape(0) == n && bias_arr.dtype().is(py::dtype::of<T>()),
                     ValueError, "_gemm_bias_act", "bad bias");
            bp = static_cast<const T*>(bias_arr.data());
            bs = bias_arr.strides(0) / es;
          }
          const auto a_ = act == "relu" ? cpu::Activation::Relu : cpu::Activation::None;
          cpu::gemm_bias_act(m, n, k, T(1), static_cast<const T*>(a.data()), a.strides(0) / es, a.strides(1) / es,
                             static_cast<const T*>(b.data()), b.strides(0) / es, b.strides(1) / es, T(0),
                             out.mutable_data(), n, 1, bp, bs, a_, threads);
          return out;
        };
        return a.dtype().is(py::dtype::of<double>()) ? run(0.0) : run(0.0f);
      },
      py::arg("a"), py::arg("b"), py::arg("bias") = py::none(), py::arg("act") = "none", py::arg("threads") = 1);
  m.def("_gemm_bf16_path", [] { return std::string(cpu::gemm_bf16_path()); });
  m.def("_set_gemm_bf16_path", [](const std::string& name) {
    try {
      cpu::set_gemm_bf16_path(name);
    } catch (const std::invalid_argument& e) {
      PG_THROW(ValueError, "set_gemm_bf16_path", e.what());
    }
  });
  m.def("_cpu_bf16_features", [] {
    py::dict d;
    d["avx512_bf16"] = cpu::cpu_has_avx512_bf16();
    d["amx_bf16"] = cpu::cpu_has_amx_bf16();
    return d;
  });
  m.def("detected_cpu_capability",
        [] { return std::string(cpu::cpu_capability_name(cpu::detected_cpu_capability())); });
  m.def("set_cpu_capability", [](const std::string& name) {
    for (auto c : {cpu::CpuCapability::Portable, cpu::CpuCapability::Avx2, cpu::CpuCapability::Avx512})
      if (name == cpu::cpu_capability_name(c)) {
        PG_CHECK(c <= cpu::detected_cpu_capability(), ValueError, "set_cpu_capability", "this CPU does not support ",
                 name);
        cpu::set_cpu_capability(c);
        return;
      }
    PG_THROW(ValueError, "set_cpu_capability", "unknown capability '", name, "' (expected portable, avx2 or avx512)");
  });

  m.def("run_backward", [](const std::vector<Tensor>& outputs, const std::vector<std::optional<Tensor>>& grad_outputs,
                           bool retain_graph, bool create_graph, const std::vector<Tensor>& inputs, bool allow_unused,
                           bool accumulate_inputs) {
    std::vector<Tensor> seeds;
    for (const auto& g : grad_outputs) seeds.push_back(g ? *g : Tensor());
    std::vector<Tensor> result;
    {
      py::gil_scoped_release release;
      result = run_backward(outputs, seeds, retain_graph, create_graph, inputs, allow_unused, accumulate_inputs);
    }
    py::list out;
    for (const Tensor& t : result) out.append(t.defined() ? py::cast(t) : py::none());
    return out;
  });

  check_derivative_table();  // a differentiable op without a rule fails the import, not a later backward
  bind_tensor(m);
  bind_ops(m);
  bind_shape(m);
  bind_dlpack(m);
  bind_nn_ops(m);
  bind_optimizers(m);
  bind_elementwise(m);
  bind_function(m);

  // What pygrad re-exports from here: the public functions bound above and these objects.
  py::list all;
  for (const char* name : {"Tensor", "dtype", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                           "float32", "float64", "from_dlpack", "get_num_threads", "set_num_threads", "initial_seed"})
    all.append(name);
  for (const std::string& name : public_names()) all.append(name);
  m.attr("__all__") = all;

  // The op registry as (name, family, kind, public, doc) rows, for the surface tests and the stub.
  m.def("_registry", [] {
    py::list rows;
#define PG_UNARY_OP(name, Functor, kind, doc) rows.append(py::make_tuple(#name, "unary", #kind, true, doc));
#define PG_UNARY_OP_PARAM(name, Functor, kind, doc) rows.append(py::make_tuple(#name, "unary_param", #kind, true, doc));
#define PG_BINARY_OP(name, Functor, kind, doc) rows.append(py::make_tuple(#name, "binary", #kind, true, doc));
#define PG_INTERNAL_BINARY_OP(name, Functor, kind, doc) rows.append(py::make_tuple(#name, "binary", #kind, false, doc));
#define PG_OP(name) rows.append(py::make_tuple(#name, "primitive", "", false, ""));
#include "core/op_list.def"
    return rows;
  });
}
