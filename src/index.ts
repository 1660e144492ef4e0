export default {
  async fetch() {
    return new Response("hookline");
  },
} satisfies ExportedHandler;
