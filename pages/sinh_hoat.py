"""placeholder"""
import streamlit as st
st.title("sinh_hoat")
