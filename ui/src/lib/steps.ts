// The wizard's steps, in order. A step whose backend is not built yet is
// listed but disabled and says so; nothing here pretends to work.
export interface WizardStep {
  id: string;
  title: string;
  available: boolean;
  note?: string;
}

const NOT_BUILT = "Not built yet";

export const STEPS: WizardStep[] = [
  { id: "doctor", title: "Welcome & checks", available: true },
  { id: "github", title: "GitHub", available: true },
  { id: "repos", title: "Repositories & workflow", available: true },
  { id: "aws", title: "AWS", available: true },
  { id: "docker", title: "Docker host", available: true },
  { id: "review", title: "Review plan", available: true },
  { id: "apply", title: "Apply", available: true },
  { id: "status", title: "Status", available: false, note: NOT_BUILT },
];
