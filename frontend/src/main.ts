import { mount } from 'svelte';
import './app.css';
import Root from './Root.svelte';
import { createDesktopApi, createHttpApi, type Api } from './lib/api';
import * as bindings from '../wailsjs/go/main/App';
import { EventsOff, EventsOn, OnFileDrop, OnFileDropOff } from '../wailsjs/runtime/runtime';

declare global {
  interface Window {
    go?: { main?: { App?: unknown } };
  }
}

// Inside the desktop window Wails injects window.go; in a browser the same
// UI talks to the HTTP API of `quarry --serve`.
const api: Api = window.go?.main?.App
  ? createDesktopApi(bindings, { OnFileDrop, OnFileDropOff, EventsOn, EventsOff })
  : createHttpApi();

mount(Root, { target: document.getElementById('app')!, props: { api } });
