export {
  startControlPlane,
  type RunningControlPlane,
  type ControlPlaneOptions,
} from './control-plane.js';
