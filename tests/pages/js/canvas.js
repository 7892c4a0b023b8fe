// Drawn once, in known colours. The WebGL context uses the default attributes
// (preserveDrawingBuffer false), as most 3D viewers do.
(() => {
  const scale = window.devicePixelRatio || 1;

  // A canvas of this CSS size, with as many pixels as the screen has.
  const sized = (id, width, height) => {
    const canvas = document.getElementById(id);
    canvas.width = width * scale;
    canvas.height = height * scale;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    return canvas;
  };

  const gl3d = sized("webgl", 358, 220);
  const gl = gl3d.getContext("webgl");
  if (gl) {
    const shader = (type, source) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, source);
      gl.compileShader(s);
      return s;
    };
    const program = gl.createProgram();
    gl.attachShader(program, shader(gl.VERTEX_SHADER, "attribute vec2 p; void main() { gl_Position = vec4(p, 0.0, 1.0); }"));
    gl.attachShader(program, shader(gl.FRAGMENT_SHADER, "precision mediump float; uniform vec4 c; void main() { gl_FragColor = c; }"));
    gl.linkProgram(program);
    gl.useProgram(program);
    gl.viewport(0, 0, gl3d.width, gl3d.height);
    gl.clearColor(0.05, 0.15, 0.35, 1.0); // dark blue
    gl.clear(gl.COLOR_BUFFER_BIT);
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    const location = gl.getAttribLocation(program, "p");
    gl.enableVertexAttribArray(location);
    gl.vertexAttribPointer(location, 2, gl.FLOAT, false, 0, 0);
    const colour = gl.getUniformLocation(program, "c");
    // an orange triangle
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-0.8, -0.7, -0.1, 0.8, 0.5, -0.7]), gl.STATIC_DRAW);
    gl.uniform4f(colour, 1.0, 0.6, 0.0, 1.0);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    // a green quad
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0.55, -0.7, 0.9, -0.7, 0.55, 0.2, 0.9, 0.2]), gl.STATIC_DRAW);
    gl.uniform4f(colour, 0.2, 0.8, 0.3, 1.0);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  const chart = sized("chart", 358, 240);
  const ctx = chart.getContext("2d");
  ctx.scale(scale, scale);
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(0, 0, 358, 240);
  ctx.strokeStyle = "#cfd8dc";
  for (let y = 40; y <= 200; y += 40) {
    ctx.beginPath();
    ctx.moveTo(30, y);
    ctx.lineTo(350, y);
    ctx.stroke();
  }
  const values = [120, 150, 90, 170, 140, 190];
  const colours = ["#e53935", "#fb8c00", "#fdd835", "#43a047", "#1e88e5", "#8e24aa"];
  ctx.font = "12px sans-serif";
  values.forEach((value, i) => {
    ctx.fillStyle = colours[i];
    ctx.fillRect(40 + i * 52, 200 - value, 36, value);
    ctx.fillStyle = "#37474f";
    ctx.fillText(`${i + 4}月`, 46 + i * 52, 220);
  });
})();
