// Entry point of the Slipway front end: mounts the wizard.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

mount(App, { target: document.getElementById("app")! });
