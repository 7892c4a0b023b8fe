// The admin template's charts: drawn once on 2D canvases, in fixed colours.
(() => {
  const scale = window.devicePixelRatio || 1;
  function setUp(id) {
    const canvas = document.getElementById(id);
    const width = canvas.clientWidth || 340;
    const height = 180;
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.strokeStyle = "#d8dbe0";
    for (let y = 20; y < height; y += 40) {
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(width, y);
      ctx.stroke();
    }
    return { ctx, width, height };
  }

  const line = setUp("line-chart");
  const sales = [40, 62, 55, 80, 72, 98, 91, 120, 110, 135, 128, 150];
  const step = line.width / (sales.length - 1);
  line.ctx.beginPath();
  sales.forEach((value, i) => line.ctx[i ? "lineTo" : "moveTo"](i * step, line.height - value));
  line.ctx.lineTo(line.width, line.height);
  line.ctx.lineTo(0, line.height);
  line.ctx.closePath();
  line.ctx.fillStyle = "rgba(50, 31, 219, 0.15)";
  line.ctx.fill();
  line.ctx.beginPath();
  sales.forEach((value, i) => line.ctx[i ? "lineTo" : "moveTo"](i * step, line.height - value));
  line.ctx.strokeStyle = "#321fdb";
  line.ctx.lineWidth = 3;
  line.ctx.stroke();

  const bars = setUp("bar-chart");
  const values = [120, 90, 150, 60, 105];
  const colours = ["#321fdb", "#39f", "#2eb85c", "#f9b115", "#e55353"];
  const width = bars.width / values.length;
  values.forEach((value, i) => {
    bars.ctx.fillStyle = colours[i];
    bars.ctx.fillRect(i * width + 10, bars.height - value, width - 20, value);
  });

  document.getElementById("burger").addEventListener("click", () => {
    document.getElementById("sidebar").classList.toggle("open");
  });
})();
