// view.js - the interactive 3D view: three.js, OrbitControls, the part's triangles (flat shaded)
// and its feature edges. World z is up, units millimetres.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

export class PartView {
  // el: the container; returns a view whose .ok is false when WebGL is unavailable
  constructor(el) {
    this.el = el;
    try {
      this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    } catch (e) {
      this.ok = false;
      this.error = String(e && e.message ? e.message : e);
      return;
    }
    this.ok = true;
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.renderer.setClearColor(0xffffff);
    el.prepend(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(35, 1, 0.1, 1e5);
    this.camera.up.set(0, 0, 1);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.4);
    sun.position.set(-1, -2, 3);
    this.camera.add(sun);
    this.scene.add(this.camera);
    this.material = new THREE.MeshPhongMaterial({
      color: 0x8fa6c4, flatShading: true, polygonOffset: true, polygonOffsetFactor: 1, polygonOffsetUnits: 1,
    });
    this.edgeMaterial = new THREE.LineBasicMaterial({ color: 0x30363f });
    this.mesh = null;
    this.edges = null;
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => this.render());
    new ResizeObserver(() => this.resize()).observe(el);
    this.resize();
  }

  resize() {
    const w = this.el.clientWidth || 1, h = this.el.clientHeight || 1;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render() { if (this.ok) this.renderer.render(this.scene, this.camera); }

  // replaces the part: m = {positions, indices, edges} as plain arrays
  setMesh(m) {
    if (!this.ok) return;
    const pos = new THREE.BufferAttribute(new Float32Array(m.positions), 3);
    const geo = new THREE.BufferGeometry();
    geo.setAttribute('position', pos);
    geo.setIndex(new THREE.BufferAttribute(new Uint32Array(m.indices), 1));
    const eg = new THREE.BufferGeometry();
    eg.setAttribute('position', pos);
    eg.setIndex(new THREE.BufferAttribute(new Uint32Array(m.edges), 1));
    if (this.mesh) { this.scene.remove(this.mesh, this.edges); this.mesh.geometry.dispose(); this.edges.geometry.dispose(); }
    this.mesh = new THREE.Mesh(geo, this.material);
    this.edges = new THREE.LineSegments(eg, this.edgeMaterial);
    this.scene.add(this.mesh, this.edges);
    geo.computeBoundingSphere();
    if (!this.fitted) this.fit();
    this.render();
  }

  // frames the part from an isometric direction
  fit() {
    if (!this.mesh) return;
    const s = this.mesh.geometry.boundingSphere;
    const d = s.radius / Math.sin((this.camera.fov * Math.PI) / 360) * 1.1;
    const dir = new THREE.Vector3(1, -1, 0.8).normalize();
    this.controls.target.copy(s.center);
    this.camera.position.copy(s.center).addScaledVector(dir, d);
    this.camera.near = d / 100;
    this.camera.far = d * 100;
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.fitted = true;
    this.render();
  }
}
