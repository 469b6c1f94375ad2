// The wizard's steps, in order: the set-up steps, then the Status window
// that watches what they made and leads back to them to reconfigure.
export interface WizardStep {
  id: string;
  title: string;
}

export const STEPS: WizardStep[] = [
  { id: "doctor", title: "Welcome & checks" },
  { id: "github", title: "GitHub" },
  { id: "repos", title: "Repositories & workflow" },
  { id: "aws", title: "AWS" },
  { id: "docker", title: "Docker host" },
  { id: "review", title: "Review plan" },
  { id: "apply", title: "Apply" },
  { id: "status", title: "Status" },
];
