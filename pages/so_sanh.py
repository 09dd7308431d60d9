"""placeholder"""
import streamlit as st
st.title("so_sanh")
