#!/usr/bin/python3
"""Extra conformance cases for the quantization family beyond the ONNX backend node tests:
signed and 16-bit (de)quantization with ties and saturation, per-axis parameters on other axes,
int32 dequantization, MatMulInteger with per-row/per-column zero points and 1-D operands,
grouped/strided/dilated/1-D ConvInteger with per-channel weight zero points, QLinearConv with a
bias and per-channel scales, and Det of batches, singular and permutation matrices. References
are numpy (ONNX Runtime's requantization order: round(acc * (x_scale * w_scale / y_scale))).

    /usr/bin/python3 tests/conformance/quant_extra_cases.py OUT
    /usr/bin/python3 tests/conformance/run.py --data OUT --suites node --out OUT/results -v
"""
import numpy as np, onnx, os, shutil, sys
from onnx import helper, numpy_helper, TensorProto as TP
root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "/tmp/nuri_quant_cases", "node")
shutil.rmtree(root, ignore_errors=True)
NP2TP = {np.dtype('float32'): TP.FLOAT, np.dtype('uint8'): TP.UINT8, np.dtype('int8'): TP.INT8,
         np.dtype('int32'): TP.INT32, np.dtype('int16'): TP.INT16, np.dtype('uint16'): TP.UINT16,
         np.dtype('float64'): TP.DOUBLE}
def case(name, op, inputs, attrs, expected, opset=13):
    """inputs: runtime arrays in node order (None: absent); expected: the one output."""
    d = os.path.join(root, "test_" + name); os.makedirs(os.path.join(d, "test_data_set_0"))
    ins, names, arrays = [], [], []
    for i, a in enumerate(inputs):
        if a is None:
            names.append(""); continue
        n = f"i{i}"; names.append(n); arrays.append((n, a))
        ins.append(helper.make_tensor_value_info(n, NP2TP[a.dtype], a.shape))
    outs = [helper.make_tensor_value_info("y", NP2TP[expected.dtype], expected.shape)]
    g = helper.make_graph([helper.make_node(op, names, ["y"], **attrs)], name, ins, outs)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]),
              os.path.join(d, "model.onnx"))
    for i, (n, a) in enumerate(arrays):
        open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb").write(
            numpy_helper.from_array(a, n).SerializeToString())
    open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb").write(
        numpy_helper.from_array(expected, "y").SerializeToString())
rng = np.random.default_rng(0)
def q(x, s, zp, lo, hi, dt): return np.clip(np.rint(x/s)+zp, lo, hi).astype(dt)
# QuantizeLinear int8 ties and saturation
x=np.array([2.5,-2.5,3.5,-3.5,0.5,-0.5,1000,-1000,7.49],np.float32); s=np.float32(1.0); zp=np.int8(-3)
case("q_int8", "QuantizeLinear", [x, np.array(s), np.array(zp)], {}, q(x,s,np.float32(zp),-128,127,np.int8))
# no zero point -> uint8
case("q_nozp", "QuantizeLinear", [x, np.array(np.float32(0.5))], {}, q(x,0.5,0,0,255,np.uint8))
# per axis int8 axis=-1 (opset 13)
x=rng.normal(size=(2,3,4)).astype(np.float32)*50; s=np.array([0.5,1,2,4],np.float32); zp=np.array([-1,0,3,10],np.int8)
case("q_axis_last", "QuantizeLinear", [x,s,zp], {"axis":-1}, q(x,s,zp.astype(np.float32),-128,127,np.int8))
# int16 (opset 21)
zp16=np.array(-7,np.int16); x=rng.normal(size=(5,)).astype(np.float32)*1e5
case("q_int16", "QuantizeLinear", [x,np.array(np.float32(0.25)),zp16], {}, q(x,0.25,-7,-32768,32767,np.int16), opset=21)
# Dequantize int32, int8 per axis
xi=np.array([-100000, 0, 7, 123456789],np.int32)
case("dq_int32", "DequantizeLinear", [xi, np.array(np.float32(0.5))], {}, (xi.astype(np.float32))*np.float32(0.5))
xi=rng.integers(-128,127,size=(3,2),dtype=np.int8); s=np.array([0.5,2,3],np.float32); zp=np.array([1,-2,3],np.int8)
case("dq_int8_axis0", "DequantizeLinear", [xi,s,zp], {"axis":0}, ((xi.astype(np.int32)-zp[:,None]).astype(np.float32)*s[:,None]))
# MatMulInteger int8 x uint8? ONNX requires T1,T2 each int8/uint8
a=rng.integers(-128,127,size=(2,3,5),dtype=np.int8); b=rng.integers(0,255,size=(5,4),dtype=np.uint8)
azp=np.array([3,-4,5],np.int8); bzp=np.array([1,2,3,200],np.uint8)
want=np.matmul(a.astype(np.int32)-azp[:,None].astype(np.int32), b.astype(np.int32)-bzp.astype(np.int32)).astype(np.int32)
case("mmi_rowcol", "MatMulInteger", [a,b,azp,bzp], {}, want, opset=10)
a1=rng.integers(0,255,size=(5,),dtype=np.uint8)
case("mmi_1d", "MatMulInteger", [a1,b], {}, np.matmul(a1.astype(np.int32), b.astype(np.int32)).astype(np.int32), opset=10)
# ConvInteger group 2, stride 2, pads, per-channel w zp, int8 weights
x=rng.integers(0,255,size=(1,4,7,6),dtype=np.uint8); w=rng.integers(-128,127,size=(6,2,3,2),dtype=np.int8)
xzp=np.uint8(17); wzp=np.array([1,-2,3,0,5,-6],np.int8)
def conv(x, w, stride, pads, group, dil=(1,1)):
    N,C,H,Wd=x.shape; M,Cg,KH,KW=w.shape
    xp=np.pad(x,((0,0),(0,0),(pads[0],pads[2]),(pads[1],pads[3])))
    OH=(xp.shape[2]-dil[0]*(KH-1)-1)//stride[0]+1; OW=(xp.shape[3]-dil[1]*(KW-1)-1)//stride[1]+1
    y=np.zeros((N,M,OH,OW),np.int64)
    for m in range(M):
        g=m//(M//group)
        for oh in range(OH):
            for ow in range(OW):
                patch=xp[:,g*Cg:(g+1)*Cg,oh*stride[0]:oh*stride[0]+dil[0]*(KH-1)+1:dil[0],ow*stride[1]:ow*stride[1]+dil[1]*(KW-1)+1:dil[1]]
                y[:,m,oh,ow]=(patch*w[m]).sum(axis=(1,2,3))
    return y
xc=x.astype(np.int64)-17; wc=w.astype(np.int64)-wzp[:,None,None,None]
case("convi_group", "ConvInteger", [x,w,np.array(xzp),wzp], {"group":2,"strides":[2,1],"pads":[1,0,2,1],"dilations":[1,2]}, conv(xc,wc,(2,1),(1,0,2,1),2,(1,2)).astype(np.int32), opset=10)
x1=rng.integers(0,255,size=(2,3,9),dtype=np.uint8); w1=rng.integers(0,255,size=(4,3,3),dtype=np.uint8)
y1=conv(x1[:,:,None,:].astype(np.int64)-5, w1[:,:,None,:].astype(np.int64), (1,2),(0,1,0,1),1)[:,:,0,:]
case("convi_1d", "ConvInteger", [x1,w1,np.array(np.uint8(5))], {"strides":[2],"pads":[1,1]}, y1.astype(np.int32), opset=10)
# QLinearConv with bias, per-channel scale and zp, int8 output
x=rng.integers(0,255,size=(1,2,5,5),dtype=np.uint8); w=rng.integers(-100,100,size=(3,2,3,3),dtype=np.int8)
xs=np.float32(0.02); xz=np.uint8(120); ws=np.array([0.01,0.02,0.005],np.float32); wz=np.array([0,0,0],np.int8)
ys=np.float32(0.3); yz=np.int8(-5); bias=np.array([100,-2000,30],np.int32)
acc=conv(x.astype(np.int64)-120, w.astype(np.int64), (1,1),(1,1,1,1),1)+bias[None,:,None,None]
mult=(xs*ws/ys).astype(np.float32)
yq=np.clip(np.rint(acc.astype(np.float32)*mult[None,:,None,None])+np.float32(-5),-128,127).astype(np.int8)
case("qlconv_bias", "QLinearConv", [x,np.array(xs),np.array(xz),w,ws,wz,np.array(ys),np.array(yz),bias], {"pads":[1,1,1,1]}, yq, opset=10)
# Det
m=rng.normal(size=(2,2,3,3)).astype(np.float32)
m[1,1]=np.array([[1,2,3],[2,4,6],[0,1,1]],np.float32)
case("det_batch", "Det", [m], {}, np.linalg.det(m.astype(np.float64)).astype(np.float32), opset=11)
m=rng.normal(size=(5,5)).astype(np.float32)
case("det_5", "Det", [m], {}, np.array(np.linalg.det(m.astype(np.float64)),np.float32), opset=11)
m=np.zeros((4,4),np.float32); m[0,1]=2; m[1,0]=3; m[2,3]=1; m[3,2]=5
case("det_perm", "Det", [m], {}, np.array(np.linalg.det(m),np.float32), opset=11)
print(f"{len(os.listdir(root))} cases in {root}")
